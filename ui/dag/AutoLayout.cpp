// Layered (Sugiyama-style) layout of a pipeline's DAG.
#include "ui/dag/AutoLayout.h"

#include <algorithm>
#include <queue>
#include <unordered_map>
#include <vector>

namespace pw::ui::dag {

namespace {

constexpr int kSweeps = 8;

// The layered graph: real tasks and virtual nodes, edges only between adjacent layers.
struct Layered
{
    std::vector<int> layer; // per node
    std::vector<std::vector<int>> up; // neighbours in the layer above (to the left)
    std::vector<std::vector<int>> down; // neighbours in the layer below (to the right)
    std::vector<std::vector<int>> order; // nodes per layer, in order
};

// Crossings between layer l and l + 1 for the given per-node positions.
long long crossings(const Layered &g, const std::vector<int> &pos, std::size_t l)
{
    std::vector<std::pair<int, int>> edges;
    for (int u : g.order[l]) {
        for (int v : g.down[u])
            edges.emplace_back(pos[u], pos[v]);
    }
    std::sort(edges.begin(), edges.end());
    long long n = 0;
    for (std::size_t i = 0; i < edges.size(); ++i) {
        for (std::size_t j = i + 1; j < edges.size(); ++j) {
            if (edges[j].first > edges[i].first && edges[j].second < edges[i].second)
                ++n;
        }
    }
    return n;
}

long long totalCrossings(const Layered &g, const std::vector<int> &pos)
{
    long long n = 0;
    for (std::size_t l = 0; l + 1 < g.order.size(); ++l)
        n += crossings(g, pos, l);
    return n;
}

void indexPositions(const Layered &g, std::vector<int> &pos)
{
    for (const auto &layer : g.order) {
        for (std::size_t i = 0; i < layer.size(); ++i)
            pos[layer[i]] = int(i);
    }
}

// Reorders one layer by the mean position of each node's neighbours in the adjacent layer; nodes without
// such neighbours keep their place (stable sort on the current index as their value).
void sortByBarycenter(std::vector<int> &layer, const std::vector<std::vector<int>> &neighbours, std::vector<int> &pos)
{
    std::vector<std::pair<double, int>> keyed;
    keyed.reserve(layer.size());
    for (std::size_t i = 0; i < layer.size(); ++i) {
        const int v = layer[i];
        double value = double(i);
        if (!neighbours[v].empty()) {
            double sum = 0;
            for (int u : neighbours[v])
                sum += pos[u];
            value = sum / double(neighbours[v].size());
        }
        keyed.emplace_back(value, v);
    }
    std::stable_sort(keyed.begin(), keyed.end(), [](const auto &a, const auto &b) { return a.first < b.first; });
    for (std::size_t i = 0; i < layer.size(); ++i) {
        layer[i] = keyed[i].second;
        pos[layer[i]] = int(i);
    }
}

// The tasks, by first occurrence of their key (a duplicate key is a validation error; it is placed once), and
// their dependencies on each other by index (dependencies on missing tasks and on themselves left out).
struct TaskGraph
{
    std::vector<const pipeline::Task *> tasks;
    std::vector<std::vector<int>> preds, succs;
};

TaskGraph taskGraph(const pipeline::Pipeline &p)
{
    TaskGraph t;
    std::unordered_map<std::string, int> index;
    for (const auto &task : p.tasks) {
        if (index.emplace(task.key, int(t.tasks.size())).second)
            t.tasks.push_back(&task);
    }
    const int n = int(t.tasks.size());
    t.preds.resize(std::size_t(n));
    t.succs.resize(std::size_t(n));
    for (int v = 0; v < n; ++v) {
        for (const auto &d : t.tasks[v]->dependsOn) {
            const auto it = index.find(d);
            if (it == index.end() || it->second == v)
                continue;
            const int u = it->second;
            if (std::find(t.preds[v].begin(), t.preds[v].end(), u) == t.preds[v].end()) {
                t.preds[v].push_back(u);
                t.succs[u].push_back(v);
            }
        }
    }
    return t;
}

// Each task's layer: the longest dependency path to it, in Kahn's order (smallest file index first, so it is
// deterministic); tasks on cycles after whatever of their dependencies is placed, in file order.
std::vector<int> longestPathLayers(const TaskGraph &t)
{
    const int n = int(t.tasks.size());
    std::vector<int> layerOf(n, -1), indegree(n);
    for (int v = 0; v < n; ++v)
        indegree[v] = int(t.preds[v].size());
    std::priority_queue<int, std::vector<int>, std::greater<>> ready;
    for (int v = 0; v < n; ++v) {
        if (indegree[v] == 0)
            ready.push(v);
    }
    while (!ready.empty()) {
        const int v = ready.top();
        ready.pop();
        int l = 0;
        for (int u : t.preds[v])
            l = std::max(l, layerOf[u] + 1);
        layerOf[v] = l;
        for (int w : t.succs[v]) {
            if (--indegree[w] == 0)
                ready.push(w);
        }
    }
    for (int v = 0; v < n; ++v) {
        if (layerOf[v] >= 0)
            continue;
        int l = 0;
        for (int u : t.preds[v]) {
            if (layerOf[u] >= 0)
                l = std::max(l, layerOf[u] + 1);
        }
        layerOf[v] = l;
    }
    return layerOf;
}

// The proper layered graph: an edge spanning k layers gets k - 1 virtual nodes. Backward edges (cycles) do not
// take part in the ordering. Each layer starts in file order, virtual nodes just after their source.
Layered properLayering(const TaskGraph &t, const std::vector<int> &layerOf)
{
    const int n = int(t.tasks.size());
    Layered g;
    g.layer = layerOf;
    g.up.resize(n);
    g.down.resize(n);
    std::vector<double> initial(n); // initial order key
    for (int v = 0; v < n; ++v)
        initial[v] = v;
    for (int v = 0; v < n; ++v) {
        for (int u : t.preds[v]) {
            if (layerOf[u] >= layerOf[v])
                continue;
            int prev = u;
            for (int l = layerOf[u] + 1; l < layerOf[v]; ++l) {
                const int d = int(g.layer.size());
                g.layer.push_back(l);
                g.up.emplace_back();
                g.down.emplace_back();
                initial.push_back(initial[u] + 0.5);
                g.up[d].push_back(prev);
                g.down[prev].push_back(d);
                prev = d;
            }
            g.up[v].push_back(prev);
            g.down[prev].push_back(v);
        }
    }
    const int total = int(g.layer.size());
    int layers = 0;
    for (int l : g.layer)
        layers = std::max(layers, l + 1);
    g.order.assign(std::size_t(layers), {});
    for (int v = 0; v < total; ++v)
        g.order[std::size_t(g.layer[v])].push_back(v);
    for (auto &layer : g.order)
        std::stable_sort(layer.begin(), layer.end(), [&](int a, int b) { return initial[a] < initial[b]; });
    return g;
}

// Barycenter sweeps, down then up: the ordering with the fewest crossings seen.
std::vector<std::vector<int>> leastCrossingOrder(Layered &g)
{
    std::vector<int> pos(g.layer.size(), 0);
    indexPositions(g, pos);
    auto best = g.order;
    long long bestCrossings = totalCrossings(g, pos);
    for (int sweep = 0; sweep < kSweeps && bestCrossings > 0; ++sweep) {
        if (sweep % 2 == 0) {
            for (std::size_t l = 1; l < g.order.size(); ++l)
                sortByBarycenter(g.order[l], g.up, pos);
        } else {
            for (std::size_t l = g.order.size(); l-- > 1;)
                sortByBarycenter(g.order[l - 1], g.down, pos);
        }
        const long long c = totalCrossings(g, pos);
        if (c < bestCrossings) {
            bestCrossings = c;
            best = g.order;
        }
    }
    return best;
}

// Coordinates: real tasks only (the first ones of the layered graph), each layer centred on the tallest one.
std::map<std::string, pipeline::Position> coordinates(const TaskGraph &t, const std::vector<std::vector<int>> &order,
                                                      double dx, double dy)
{
    const int n = int(t.tasks.size());
    std::vector<std::vector<int>> real(order.size());
    std::size_t tallest = 0;
    for (std::size_t l = 0; l < order.size(); ++l) {
        for (int v : order[l]) {
            if (v < n)
                real[l].push_back(v);
        }
        tallest = std::max(tallest, real[l].size());
    }
    std::map<std::string, pipeline::Position> out;
    for (std::size_t l = 0; l < real.size(); ++l) {
        const double top = (double(tallest) - double(real[l].size())) * dy / 2;
        for (std::size_t i = 0; i < real[l].size(); ++i)
            out[t.tasks[real[l][i]]->key] = {double(l) * dx, top + double(i) * dy};
    }
    return out;
}

} // namespace

std::map<std::string, pipeline::Position> layeredLayout(const pipeline::Pipeline &p, double dx, double dy)
{
    const TaskGraph t = taskGraph(p);
    Layered g = properLayering(t, longestPathLayers(t));
    return coordinates(t, leastCrossingOrder(g), dx, dy);
}

} // namespace pw::ui::dag
