// Table model of registered model versions: model, version, stage, aliases, source run and its val_accuracy,
// the data it was trained on, when it was registered.
#pragma once

#include "ui/models/ModelsSnapshot.h"

#include <QAbstractTableModel>
#include <QColor>

namespace pw::ui {

class ModelVersionsModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column
    {
        ModelColumn,
        VersionColumn,
        StageColumn,
        AliasesColumn,
        RunColumn,
        ValAccuracyColumn,
        DataColumn,
        CreatedColumn,
        DescriptionColumn,
        ColumnCount
    };
    enum Role
    {
        StageRole = Qt::UserRole,
        ModelRole,
        VersionRole
    };

    explicit ModelVersionsModel(QObject *parent = nullptr);
    void setVersions(std::vector<registry::ModelVersion> versions, std::map<std::string, double> runValAccuracy);
    const registry::ModelVersion *version(int row) const;
    /** The row of `model` version `version`, or -1. */
    int rowOf(const std::string &model, std::int64_t version) const;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    std::vector<registry::ModelVersion> m_versions;
    std::map<std::string, double> m_valAccuracy;
};

/** The badge colour of a stage: Production green, Staging amber, Archived grey, None light grey. */
QColor stageColor(registry::Stage stage);

} // namespace pw::ui
