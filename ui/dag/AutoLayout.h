// Automatic layout of a pipeline's DAG: layers left to right by longest path, order within the layers by
// barycenter sweeps (Sugiyama), deterministic for a given pipeline.
#pragma once

#include "core/pipeline/Pipeline.h"

#include <map>
#include <string>

namespace pw::ui::dag {

/**
 * Positions (top-left of each node) for every task of `p`: a task's layer is the length of the longest
 * dependency path to it, at x = layer * dx; within a layer tasks are dy apart, ordered to reduce edge
 * crossings (barycenter sweeps over the layered graph with a virtual node per layer an edge skips), and
 * centred on the tallest layer. Every dependency points right (source x < target x). Tasks on a cycle or
 * with dependencies on missing tasks are placed all the same (such edges are ignored). Pure: the same
 * pipeline gives the same positions.
 */
std::map<std::string, pipeline::Position> layeredLayout(const pipeline::Pipeline &p, double dx = 240, double dy = 110);

} // namespace pw::ui::dag
