// The Images page: a "Browse" tab (a thumbnail browser of one catalog table with filters, a per-label count chart and
// a detail pane) and a "Catalog" tab (CatalogPage: counts, version history, rejected files). The browser reads ahead:
// the next keyset page is fetched in the background while the end of the fetched rows is still two screens away.
// It opens on the table used last in this workspace, else the largest; a reload keeps the selected image (by path,
// the image's identity in its table) whatever row it moves to.
#pragma once

#include "core/catalog/ImageQuery.h"
#include "ui/Page.h"

#include <atomic>
#include <memory>

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QListView;
class QSlider;
class QSpinBox;
class QTabWidget;

namespace pw::ui {

class CatalogPage;
class ImageDetailPane;
class ImageListModel;
class LabelCountChart;

class ImagesPage : public Page
{
    Q_OBJECT
public:
    explicit ImagesPage(QWidget *parent = nullptr);

    QString pageId() const override { return QStringLiteral("images"); }
    QString pageTitle() const override { return tr("Images"); }
    QString pageToolTip() const override;
    /** Shows the workspace at `root` in both tabs (loads in the background); loaded() comes with the Catalog tab's. */
    void setWorkspace(const QString &root) override;
    /** Reloads both tabs in the background. */
    void reload() override;
    store::Changes reloadsOn() const override { return store::CatalogChanged; }

    CatalogPage *catalogPage() const { return m_catalogPage; }
    ImageListModel *imageModel() const { return m_model; }
    ImageDetailPane *detailPane() const { return m_detail; }
    LabelCountChart *chart() const { return m_chart; }
    QListView *view() const { return m_view; }
    QTabWidget *tabs() const { return m_tabs; }
    QComboBox *tableCombo() const { return m_table; }
    QComboBox *labelCombo() const { return m_label; }
    /** The filter the widgets describe now. */
    catalog::ImageFilter currentFilter() const;
    /** Sets the filter widgets to `filter` and lists it. */
    void setFilter(const catalog::ImageFilter &filter);
    /** The label filter's entry for the images without a label (ImageFilter::label ""). */
    static QString unlabeledText();
    /** "N images" of the current filter, as the page shows it (empty until counted). */
    QString totalText() const;

Q_SIGNALS:
    /** The table list and the per-label counts of the current filter are on screen. */
    void browseLoaded();

private:
    void setUpFilters();
    void layOut();
    void connectWidgets();
    void loadTables();
    /** The Catalog tab's first load, if it waits (m_catalogAfterPage). */
    void loadCatalogTab();
    /** Lists the filter the widgets describe; unless `reload`, only when it differs from the one listed. */
    void applyFilter(bool reload = false);
    /** Selects the row of m_keepPath among the rows fetched so far, once it is there. */
    void reselectKept();
    void loadCounts(const catalog::ImageFilter &filter);
    void setThumbnailSide(int side);
    /** Fetches the next page when the last fetched row is near the viewport (see kReadAheadScreens). */
    void readAhead();

    QString m_root;
    QString m_keepPath; // the image to select again once a reload lists it
    int m_countsGeneration = 0;
    // The newest count asked for, read by counts waiting in the pool: an older one is skipped before it starts.
    std::shared_ptr<std::atomic<int>> m_latestCounts = std::make_shared<std::atomic<int>>(0);
    bool m_countsAfterPage = false; // counts wait for the first page of the listing (applyFilter)
    bool m_catalogAfterPage = false; // so does the Catalog tab's first load, unless it is shown (setWorkspace)
    int m_tablesGeneration = 0;
    bool m_settingFilter = false;
    QTabWidget *m_tabs;
    CatalogPage *m_catalogPage;
    ImageListModel *m_model;
    QListView *m_view;
    ImageDetailPane *m_detail;
    LabelCountChart *m_chart;
    QComboBox *m_table;
    QComboBox *m_label;
    QLineEdit *m_predicted;
    QComboBox *m_labelSource;
    QDoubleSpinBox *m_minConfidence;
    QDoubleSpinBox *m_maxConfidence;
    QCheckBox *m_rejected;
    QSpinBox *m_asOf;
    QComboBox *m_sort;
    QSlider *m_size;
    QLabel *m_total;
    QLabel *m_status;
};

} // namespace pw::ui
