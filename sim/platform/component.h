// Component: one hardware block as the platform holds it, created by its type's factory.
//
// A component type registers once (sim/platform/types.cpp, or the file of a model family)
// with the config::TypeRegistry: its Params listing, its energy events, how many bytes of
// the address map it occupies (a memory's size, a register window), and a factory that
// builds the block. The platform then instantiates, binds and maps every block through
// this interface alone, so a new block type is one registration and not an edit of the
// platform (style anchors: Spike's device registry, VCML's module classes).
//
// Binding: a connection {from: A, to: B} binds A's initiator port to B's target port;
// `from: A.port` names one of A's initiator ports (an NPU has several AXI ports). A
// router (a bus) also adds B's address_map range to its routing table.
#pragma once
#include <any>
#include <memory>
#include <string>
#include <vector>

#include <systemc>
#include <tlm>

#include "models/common/stats.h"
#include "sim/config/platform_config.h"

namespace slm::platform {

// What an initiator socket binds to: every TLM-2.0 target socket of bus width 32 derives from it.
using TargetSocket = tlm::tlm_base_target_socket_b<32, tlm::tlm_fw_transport_if<>, tlm::tlm_bw_transport_if<>>;

class Component {
 public:
  virtual ~Component() = default;
  virtual sc_core::sc_module& module() = 0;
  // The TLM target port that initiators bind to; nullptr if the block has none.
  virtual TargetSocket* target_port() { return nullptr; }
  // Binds initiator port `port` ("" = the block's default / next free port) to `target`,
  // the port of component `target_name` with address range `mapping` (nullptr if unmapped).
  // Throws slm::Error when the block has no such port or it is already bound.
  virtual void bind_initiator(const std::string& port, TargetSocket& target, const std::string& target_name,
                              const config::Mapping* mapping);
  // After every connection is made: "" if complete, else what is missing (a message).
  virtual std::string check_bound() const { return ""; }
};

// The usual case: a component that is one sc_module of type M.
template <class M>
class ModuleComponent : public Component {
 public:
  explicit ModuleComponent(std::unique_ptr<M> m) : m_(std::move(m)) {}
  sc_core::sc_module& module() override { return *m_; }
  M& get() { return *m_; }

 protected:
  std::unique_ptr<M> m_;
};

// Hides fields that a component type fixes (flash: read_only is always true).
class HideFields : public params::Visitor {
 public:
  HideFields(params::Visitor& inner, const std::vector<std::string>& hidden) : in_(inner), hidden_(hidden) {}
  void field(const params::Field& f, uint64_t& v) override { if (!skip(f)) in_.field(f, v); }
  void field(const params::Field& f, uint32_t& v) override { if (!skip(f)) in_.field(f, v); }
  void field(const params::Field& f, double& v) override { if (!skip(f)) in_.field(f, v); }
  void field(const params::Field& f, bool& v) override { if (!skip(f)) in_.field(f, v); }
  void field(const params::Field& f, std::string& v, const std::vector<std::string>& c) override {
    if (!skip(f)) in_.field(f, v, c);
  }

 private:
  bool skip(const params::Field& f) const {
    for (const auto& h : hidden_)
      if (h == f.key) return true;
    return false;
  }
  params::Visitor& in_;
  const std::vector<std::string>& hidden_;
};

// How a model type M is registered: M has `Params` (describe/validate) and `energy_events()`.
template <class M>
struct TypeSpec {
  std::string name, category, doc;
  typename M::Params defaults{};
  // Builds the block from typed, validated Params.
  std::function<std::unique_ptr<Component>(const std::string&, const typename M::Params&, stats::Group&)> make;
  // Bytes the block occupies in the address map (memory size, register window); empty = not mappable.
  std::function<uint64_t(const typename M::Params&)> mapped_bytes;
  std::vector<std::string> hidden;  // Params fields the type fixes (not settable in YAML)
};

template <class M>
config::ComponentType make_type(TypeSpec<M> s) {
  config::ComponentType t;
  t.name = s.name;
  t.category = s.category;
  t.doc = s.doc;
  t.make_default = [d = s.defaults] { return std::any(d); };
  t.describe = [hidden = s.hidden](params::Visitor& v, std::any& a) {
    HideFields h(v, hidden);
    M::Params::describe(h, std::any_cast<typename M::Params&>(a));
  };
  t.validate = [](const std::any& a, const std::string& who) { std::any_cast<const typename M::Params&>(a).validate(who); };
  t.energy_events = M::energy_events();
  t.create = [make = s.make](const std::string& n, const std::any& a, stats::Group& root) -> std::unique_ptr<Component> {
    return make(n, std::any_cast<const typename M::Params&>(a), root);
  };
  if (s.mapped_bytes)
    t.mapped_bytes = [mb = s.mapped_bytes](const std::any& a) { return mb(std::any_cast<const typename M::Params&>(a)); };
  return t;
}

}  // namespace slm::platform
