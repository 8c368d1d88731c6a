// Named statistics: see stats.h. Counters and formulas are kept in registration order
// for iteration; dumps are JSON objects, so keys come out sorted (deterministic bytes).
#include "models/common/stats.h"

#include <cassert>

#include "workloads/common/error.h"

namespace slm::stats {

Group::Group(std::string name, Group* parent) : name_(std::move(name)), parent_(parent) {
  if (!parent_) return;
  if (parent_->children_.count(name_) || parent_->attached_.count(name_))
    throw slm::err("stats: two components named '", parent_->path(), ".", name_, "'");
  parent_->attached_[name_] = this;
}

Group::~Group() {
  if (parent_) parent_->attached_.erase(name_);
  for (auto& [n, g] : attached_) g->parent_ = nullptr;
  for (auto& [n, g] : children_) g->parent_ = nullptr;  // owned: destroyed after this body
}

std::string Group::path() const { return parent_ ? parent_->path() + "." + name_ : name_; }

Counter& Group::counter(const std::string& name, const std::string& unit, const std::string& desc) {
  assert(!find(name) && "counter registered twice");
  counters_.push_back(std::make_unique<Counter>(Counter{name, unit, desc, 0}));
  return *counters_.back();
}

void Group::formula(const std::string& name, const std::string& unit, const std::string& desc,
                    std::function<double(double sim_seconds)> eval) {
  formulas_.push_back(Formula{name, unit, desc, std::move(eval)});
}

Group& Group::child(const std::string& name) {
  auto it = children_.find(name);
  if (it != children_.end()) return *it->second;
  if (attached_.count(name)) return *attached_.at(name);
  auto g = std::unique_ptr<Group>(new Group(name));
  g->parent_ = this;
  return *children_.emplace(name, std::move(g)).first->second;
}

const Counter* Group::find(const std::string& leaf) const {
  for (const auto& c : counters_)
    if (c->name == leaf) return c.get();
  return nullptr;
}

void Group::for_each(const std::function<void(const std::string&, const Counter&)>& fn) const {
  const std::string prefix = path() + ".";
  for (const auto& c : counters_) fn(prefix + c->name, *c);
  std::map<std::string, const Group*> kids;  // visit children in name order
  for (const auto& [n, g] : children_) kids[n] = g.get();
  for (const auto& [n, g] : attached_) kids[n] = g;
  for (const auto& [n, g] : kids) g->for_each(fn);
}

nlohmann::json Group::to_json(double sim_seconds, bool meta) const {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& c : counters_) {
    if (meta)
      j[c->name] = {{"value", c->value}, {"unit", c->unit}, {"desc", c->desc}};
    else
      j[c->name] = c->value;
  }
  for (const auto& f : formulas_) {
    const double v = f.eval(sim_seconds);
    if (meta)
      j[f.name] = {{"value", v}, {"unit", f.unit}, {"desc", f.desc}, {"derived", true}};
    else
      j[f.name] = v;
  }
  for (const auto& [n, g] : children_) j[n] = g->to_json(sim_seconds, meta);
  for (const auto& [n, g] : attached_) j[n] = g->to_json(sim_seconds, meta);
  return j;
}

void Group::reset() {
  for (auto& c : counters_) c->value = 0;
  for (auto& [n, g] : children_) g->reset();
  for (auto& [n, g] : attached_) g->reset();
}

}  // namespace slm::stats
