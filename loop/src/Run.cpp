#include "twinsim/loop/Run.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <limits>
#include <optional>

#include "twinsim/core/Comm.hpp"
#include "twinsim/core/Error.hpp"
#include "twinsim/core/Log.hpp"
#include "twinsim/core/Signals.hpp"
#include "twinsim/core/Timers.hpp"
#include "twinsim/core/versions.hpp"
#include "twinsim/loop/Provenance.hpp"

namespace twinsim::loop {

namespace fs = std::filesystem;

std::unique_ptr<io::H5File> Setup::open_output(const std::string& units) const {
  const fs::path path = dir.file(name + ".h5");
  if (restart) {
    auto file = std::make_unique<io::H5File>(restart->reopen_output(path));
    file->set_attribute("/", "status", std::string("running"));
    return file;
  }
  auto file = std::make_unique<io::H5File>(io::H5File::create(path));
  io::write_provenance(*file, {case_file.resolved_text(), std::string(core::to_string(backend)),
                               units});
  write_start(*file, backend);
  return file;
}

namespace {

// A failure on this rank before or after the loop (making the run, its restart, closing the
// output): the other ranks are told before this rank makes another collective call (the loop
// tells them of its own failures).
Outcome failed_here(const std::exception& e) {
  core::Comm& comm = core::world();
  if (comm.size() > 1 && !comm.failed()) {
    if (!comm.root()) spdlog::error("rank {} failed: {}; ending every rank", comm.rank(), e.what());
    comm.fail(e.what());
  }
  return {End::failed, e.what()};
}

}  // namespace

Result execute(const Kind& kind, const Setup& setup, io::Checkpoints& checkpoints) {
  Result result;
  Run run;
  try {
    run = kind.make(setup);
  } catch (const StartFailure& e) {
    result.summary = e.figures();
    result.outcome = failed_here(e);
    return result;
  } catch (const std::exception& e) {
    result.outcome = failed_here(e);
    return result;
  }
  Loop loop(*run.stepper, run.label.empty() ? kind.name : run.label);
  for (auto& [operation, trigger] : run.operations) loop.add(*operation, trigger);
  loop.checkpoint_with(checkpoints, run.output.get());
  // Declared after the run, so closed before its output file. Rank 0 alone writes history.csv.
  History history(core::world().root() ? setup.dir.file("history.csv") : fs::path());
  try {
    history.write_to(run.output.get());
    loop.record(history);
    if (setup.case_file.has("run.progress_interval"))
      loop.progress_interval(setup.case_file.get_float("run.progress_interval"));
    if (setup.restart) loop.restore(*setup.restart);
  } catch (const std::exception& e) {
    result.outcome = failed_here(e);
    return result;
  }
  result.outcome = loop.run();
  // Summaries may reduce across ranks: after another rank failed those calls give up at once
  // (core::RankFailed), and the summary keeps what was set before.
  try {
    run.stepper->summarize(result.summary, loop.timers());
    for (const auto& [operation, trigger] : run.operations) operation->summarize(result.summary);
  } catch (const std::exception& e) {
    if (result.outcome.end != End::failed)
      result.outcome = failed_here(e);
    else if (!dynamic_cast<const core::RankFailed*>(&e))
      spdlog::warn("the summary after the failure: {}", e.what());
  }
  if (history.rows() > 0) result.summary.set("history.rows", std::int64_t(history.rows()));
  // Closing the history and stamping the end on the output write too (a full disk fails
  // here as well): a run that failed keeps its first reason, one that did not fails now.
  try {
    history.close();
    if (run.output)
      write_end(*run.output, result.outcome.end == End::failed        ? "failed"
                             : result.outcome.end == End::interrupted ? "interrupted"
                                                                      : "ok");
  } catch (const std::exception& e) {
    if (result.outcome.end == End::failed)
      spdlog::warn("closing the output after the failure: {}", e.what());
    else
      result.outcome = failed_here(e);
  }
  return result;
}

namespace {

std::string megabytes(std::uint64_t bytes) { return fmt::format("{:.1f} MiB", bytes / 1048576.0); }

// Free bytes on the file system that holds (or will hold) path.
std::uint64_t free_bytes(fs::path path) {
  std::error_code ec;
  path = fs::absolute(path, ec);
  while (!path.empty() && !fs::exists(path, ec) && path != path.root_path())
    path = path.parent_path();
  const fs::space_info space = fs::space(path, ec);
  return ec ? std::numeric_limits<std::uint64_t>::max() : space.available;
}

// Bytes already in a run folder (a restart's output so far and its checkpoints).
std::uint64_t bytes_in(const fs::path& folder) {
  std::uint64_t bytes = 0;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec))
    if (it->is_regular_file(ec)) bytes += it->file_size(ec);
  return bytes;
}

// Memory this process can still take: the least of the machine's available memory, the
// control group's limit and the address-space limit, less what is in use.
std::uint64_t available_memory() {
  std::uint64_t available = std::numeric_limits<std::uint64_t>::max();
  const auto read_number = [](const char* path, const std::string& key) -> std::uint64_t {
    std::ifstream in(path);
    std::string word;
    while (in >> word)
      if (key.empty() || word == key) {
        if (!key.empty()) in >> word;
        try {
          return std::stoull(word);
        } catch (const std::exception&) {
          return 0;  // "max": no limit
        }
      }
    return 0;
  };
  if (const std::uint64_t kib = read_number("/proc/meminfo", "MemAvailable:"))
    available = kib * 1024;
  const std::uint64_t limit = read_number("/sys/fs/cgroup/memory.max", "");
  const std::uint64_t used = read_number("/sys/fs/cgroup/memory.current", "");
  if (limit > 0) available = std::min(available, limit > used ? limit - used : 0);
  rlimit as{};
  if (::getrlimit(RLIMIT_AS, &as) == 0 && as.rlim_cur != RLIM_INFINITY) {
    const std::uint64_t mapped = read_number("/proc/self/status", "VmSize:") * 1024;
    available = std::min<std::uint64_t>(available, as.rlim_cur > mapped ? as.rlim_cur - mapped : 0);
  }
  return available;
}

// Preflight: the run's memory in the memory available (host, and the device's on the GPU
// backend), and the planned output and checkpoints on the disk of the run folder (a restart
// needs only what is left beyond what the folder holds).
void check_plan(const Kind& kind, const io::Case& c, const fs::path& out, bool restart,
                core::Backend backend) {
  if (!kind.plan) return;
  const Plan plan = kind.plan(c);
  const std::string memory = check_memory(
      plan, backend, available_memory(),
      backend == core::Backend::Gpu ? core::gpu_free_memory() : 0);
  const std::uint64_t keep = std::uint64_t(io::CheckpointPolicy::from_case(c).keep);
  const std::uint64_t planned = plan.output_bytes + keep * plan.checkpoint_bytes;
  const std::uint64_t present = restart ? bytes_in(out) : 0;
  const std::uint64_t need = planned > present ? planned - present : 0;
  const std::uint64_t free = free_bytes(out);
  const std::string text = fmt::format(
      "planned output {} + {} checkpoint(s) of {}{}; {} free in {}; {}",
      megabytes(plan.output_bytes), keep, megabytes(plan.checkpoint_bytes),
      restart ? fmt::format(", {} of it written", megabytes(std::min(present, planned))) : "",
      megabytes(free), out.string(), memory);
  if (need > free)
    throw core::Error(text + ": not enough disk (write fewer frames, or choose another --out)");
  spdlog::info("{}", text);
}

// Ranks above 0 keep their checkpoints in checkpoints/rank_<r>/ (rank 0's stay where one-rank
// runs keep them); a restart names rank 0's file or "latest".
fs::path rank_folder(const io::RunDirectory& dir, int rank);
fs::path checkpoint_folder(const io::RunDirectory& dir, const core::Comm& comm) {
  return rank_folder(dir, comm.rank());
}

fs::path rank_folder(const io::RunDirectory& dir, int rank) {
  return rank == 0 ? dir.checkpoints() : dir.checkpoints() / fmt::format("rank_{}", rank);
}

// The ranks that wrote a checkpoint: its own record, or for one written before that was
// recorded, the rank folders beside it.
int writers(const io::Restart& restart, const io::RunDirectory& dir) {
  if (restart.info().ranks > 0) return restart.info().ranks;
  int ranks = 1;
  while (fs::exists(rank_folder(dir, ranks))) ++ranks;
  return ranks;
}

// Every rank restarts from the step of rank 0's checkpoint (the file named, or its newest that
// verifies): on the rank count and layout that wrote it, each from its own file of that step; on
// another count or layout (the case's layout keys changed: io::KeySpec::layout), where the kind
// can take that, every rank from rank 0's file and the parts of every rank that wrote it
// (io::StateReader::parts). Collective; rank 0 has opened its checkpoint and checked its case.
void open_restart(const Kind& kind, const io::RunDirectory& dir, const io::Case& c,
                  core::Comm& comm, std::optional<io::Restart>& restart) {
  std::string file = comm.root() ? restart->path().filename().string() : std::string();
  std::int64_t written_by = comm.root() ? writers(*restart, dir) : 0;
  std::int64_t same_layout = comm.root() && restart->info().case_text == c.resolved_text();
  comm.broadcast(file, 0);
  comm.broadcast(&written_by, sizeof written_by, 0);
  comm.broadcast(&same_layout, sizeof same_layout, 0);
  // One rank's state is whole whatever the layout keys say.
  if (written_by == comm.size() && (same_layout || comm.size() == 1)) {
    const fs::path folder = rank_folder(dir, comm.rank());
    if (!comm.root()) restart.emplace(folder, (folder / file).string());
    restart->require(kind.name, c);
    if (restart->info().ranks > 0 && restart->info().ranks != written_by)
      throw core::Error(fmt::format("--restart: {} was written by {} rank(s), rank 0's of the "
                                    "same step by {}: a checkpoint of another run",
                                    restart->path().string(), restart->info().ranks,
                                    written_by));
    return;
  }
  if (!kind.restarts_on_other_ranks && written_by != comm.size())
    throw core::Error(fmt::format(
        "--restart: the checkpoints in {} were written by {} rank(s) and this run has {}; "
        "restart with {} (mpirun -n {} / srun -n {}): {} restarts only on the rank count that "
        "wrote them", dir.checkpoints().string(), written_by, comm.size(), written_by,
        written_by, written_by, kind.name));
  if (!kind.restarts_on_other_ranks)
    throw core::Error(fmt::format(
        "--restart: the checkpoints in {} were written with other layout keys (how the run is "
        "split across ranks); {} restarts only on the layout that wrote them",
        dir.checkpoints().string(), kind.name));
  if (!comm.root()) {
    restart.emplace(dir.checkpoints(), (dir.checkpoints() / file).string());
    restart->require(kind.name, c);
  }
  std::vector<fs::path> others;
  for (int r = 1; r < int(written_by); ++r) others.push_back(rank_folder(dir, r));
  restart->open_parts(others);
}

}  // namespace

std::string check_memory(const Plan& plan, core::Backend backend, std::uint64_t host_available,
                         std::uint64_t device_available) {
  const std::string change =
      plan.size_keys.empty() ? "a smaller case" : "smaller " + plan.size_keys;
  const bool gpu = backend == core::Backend::Gpu;
  const std::uint64_t device = plan.device_bytes > 0 ? plan.device_bytes : plan.checkpoint_bytes;
  const std::uint64_t host_copies =
      plan.memory_bytes > 0 ? plan.memory_bytes : 2 * plan.checkpoint_bytes;
  // Saturating: plans of absurd cases are near 2^64.
  const std::uint64_t host =
      gpu ? host_copies : host_copies + std::min(device, UINT64_MAX - host_copies);
  if (host > host_available)
    throw core::Error(fmt::format(
        "the run needs about {} of memory and {} is available: choose {} (or run where more "
        "memory is free)", megabytes(host), megabytes(host_available), change));
  if (gpu && device > device_available)
    throw core::Error(fmt::format(
        "the run needs about {} of GPU memory and {} is free on the device: choose {} (or "
        "--device cpu, or a GPU with more free memory)",
        megabytes(device), megabytes(device_available), change));
  std::string text =
      fmt::format("memory about {} of {} available", megabytes(host), megabytes(host_available));
  if (gpu)
    text += fmt::format(", GPU memory about {} of {} free", megabytes(device),
                        megabytes(device_available));
  return text;
}

void require_splits(const Kind& kind, int ranks) {
  if (ranks > 1 && !kind.splits_across_ranks)
    throw core::Error(fmt::format("{} runs on one rank (it is not decomposed across MPI ranks "
                                  "yet); this run has {}: start it without mpirun/srun -n",
                                  kind.name, ranks));
}

int run(const Kind& kind, const io::Case& c, const Request& request) {
  const auto start = std::chrono::steady_clock::now();
  const std::string name = c.get_string("run.name");
  const fs::path out = request.out.empty() ? fs::path("runs") / name : fs::path(request.out);

  // Everything that can be refused is refused before the run folder exists (or, restarting,
  // before it changes).
  try {
    if (kind.check) kind.check(c);
  } catch (const core::Error& e) {
    std::fprintf(stderr, "error: %s: %s; nothing was run\n", request.case_path.c_str(), e.what());
    return k_exit_bad_input;
  }
  core::Backend backend = core::Backend::Cpu;
  std::optional<io::RunDirectory> dir;
  std::optional<io::Restart> restart;
  core::Comm* comm = nullptr;
  // Every rank judges the same case; a refusal on any rank is every rank's. Rank 0 alone makes
  // the run folder and writes case.toml, log.txt and summary.json.
  std::string refused;
  try {
    comm = &core::world();
    require_splits(kind, comm->size());
    backend = core::select_backend(c.get_string("run.device"));
    if (!request.restart.empty()) {
      dir.emplace(io::RunDirectory::existing(out, comm->root()));
      if (comm->root()) {  // the other ranks follow its choice (open_restart)
        restart.emplace(dir->checkpoints(), request.restart);
        restart->require(kind.name, c);
      }
    }
    if (comm->root()) check_plan(kind, c, out, restart.has_value(), backend);
    if (!dir && comm->root()) dir.emplace(out, request.overwrite);
  } catch (const core::Error& e) {
    refused = e.what();
  }
  if (comm && comm->size() > 1 && comm->any(!refused.empty())) {
    if (!refused.empty())
      std::fprintf(stderr, "error: rank %d: %s\n", comm->rank(), refused.c_str());
    return k_exit_bad_input;
  }
  if (!refused.empty()) {
    if (!comm || comm->root()) std::fprintf(stderr, "error: %s\n", refused.c_str());
    return k_exit_bad_input;
  }
  try {
    if (!request.restart.empty()) open_restart(kind, *dir, c, *comm, restart);
  } catch (const core::Error& e) {
    refused = e.what();
  }
  if (comm->any(!refused.empty())) {
    if (!refused.empty()) {
      if (comm->size() > 1)
        std::fprintf(stderr, "error: rank %d: %s\n", comm->rank(), refused.c_str());
      else
        std::fprintf(stderr, "error: %s\n", refused.c_str());
    }
    return k_exit_bad_input;
  }
  if (!restart && comm->root()) dir->write_text("case.toml", c.resolved_text());
  if (!dir) {
    comm->barrier();  // rank 0 has made the folder
    dir.emplace(io::RunDirectory::existing(out, comm->root()));
  } else if (!restart) {
    comm->barrier();
  }
  if (comm->root())
    core::log_to_file(dir->file("log.txt").string());
  else
    spdlog::set_level(spdlog::level::warn);
  spdlog::info("twinsim {}: {} ({}) from {}", core::version(), name, kind.name, request.case_path);
  spdlog::info("backend {}{}, output in {}", core::to_string(backend),
               backend == core::Backend::Gpu ? ": " + core::gpu_description() : "",
               dir->path().string());
  if (comm->size() > 1) spdlog::info("MPI: {}", core::describe(*comm));
  if (restart) {
    for (const std::string& skipped : restart->skipped())
      spdlog::warn("--restart latest: skipped {}", skipped);
    spdlog::info("restart from {} at step {} (time {})", restart->path().string(),
                 restart->step(), restart->time());
    if (restart->info().case_text != c.resolved_text())
      spdlog::info("the checkpoint's case differs from this one in layout keys only (how the run "
                   "is split across ranks)");
    if (const std::size_t parts = restart->state().parts().size(); parts > 0)
      spdlog::info("the checkpoint was written by {} rank(s): its state is split again for {}",
                   parts, comm->size());
    if (restart->info().backend != core::to_string(backend))
      spdlog::warn("the checkpoint was written by the {} backend and this run uses {}: it "
                   "continues, but not bit for bit", restart->info().backend,
                   core::to_string(backend));
  }

  io::Checkpoints checkpoints(checkpoint_folder(*dir, *comm), io::CheckpointPolicy::from_case(c),
                              {kind.name, 0, 0.0, std::string(core::to_string(backend)),
                               c.resolved_text(), comm->size()});
  Result result = execute(kind, {c, backend, *dir, name, restart ? &*restart : nullptr},
                          checkpoints);
  // The ranks agree on the outcome: a rank that failed told the others (core::Comm::fail), so
  // this barrier gives up on every rank, and rank 0 reports the first failure it heard of.
  if (comm->size() > 1) {
    try {
      comm->barrier();
    } catch (const core::RankFailed& e) {
      if (result.outcome.end != End::failed) result.outcome = {End::failed, e.what()};
    }
  }
  const Outcome& outcome = result.outcome;
  const bool ok = outcome.end != End::failed;
  io::Summary& s = result.summary;
  set_provenance(s, name, kind.provenance, kind.name, backend, ok ? "" : outcome.failure, start);
  if (outcome.diverged) {
    s.set("status", "diverged");
    s.set("diverged_at_step", outcome.diverged_step);
  }
  if (restart) {
    s.set("restart.from", restart->path().string());
    s.set("restart.step", restart->step());
  }
  s.set("checkpoints.written", checkpoints.written());
  if (outcome.end == End::interrupted) {
    s.set("status", "interrupted");
    s.set("checkpoints.last", checkpoints.last_written().string());
  }
  if (comm->size() > 1) s.set("mpi.ranks", std::int64_t(comm->size()));
  if (comm->root()) dir->write_summary(s);
  if (!ok) {
    // Across ranks rank 0 reports; a rank that failed has said why on its own.
    if (comm->root()) {
      spdlog::error("{}", outcome.failure);
      spdlog::error("run failed; what was computed is in {}", dir->path().string());
    }
    return k_exit_failed;
  }
  if (outcome.end == End::interrupted) {
    spdlog::warn("stopped by {}: checkpoint {}; continue with: twinsim {} {} --out {} "
                 "--restart latest", core::signal_name(core::stop_signal()),
                 checkpoints.last_written().string(), request.command, request.case_path,
                 dir->path().string());
    return k_exit_interrupted;
  }
  spdlog::info("done in {:.3g} s; results in {}", core::seconds_since(start), dir->path().string());
  return k_exit_ok;
}

void set_provenance(io::Summary& s, const std::string& name, const std::string& provenance,
                    const std::string& what, core::Backend backend, const std::string& failure,
                    std::chrono::steady_clock::time_point start) {
  s.set("name", name);
  s.set(provenance, what);
  s.set("backend", std::string(core::to_string(backend)));
  s.set("twinsim_version", core::version());
  add_build_and_host(s, backend);
  const double seconds = core::seconds_since(start);
  s.set("end_utc", utc_now());
  s.set("start_utc", utc_at(std::chrono::system_clock::now() -
                            std::chrono::duration_cast<std::chrono::system_clock::duration>(
                                std::chrono::duration<double>(seconds))));
  s.set("status", failure.empty() ? "ok" : "failed");
  if (!failure.empty()) s.set("failure", failure);
  s.set("timing.total_s", seconds);
}

void add_progress_key(io::SectionBuilder& run_section) {
  run_section.key_float("progress_interval", "Seconds between two progress lines when the "
                        "output is not a terminal (log.txt, batch jobs); a terminal redraws "
                        "its line 5 times a second")
      .default_value(30.0).unit("s").greater_than(0);
}

io::Schema case_schema(const std::vector<Kind>& kinds, const std::string& solver) {
  std::vector<std::string> names;
  for (const Kind& k : kinds) names.push_back(k.name);
  io::Schema schema;
  io::SectionBuilder run = schema.section("run", "What to run").required();
  run.key_string("name", "Run name: output files are <name>.h5, <name>.xmf").required().file_name();
  run.key_string("solver", "What computes the run").required().one_of(names);
  run.key_string("device", "Backend: auto (the GPU when one is present), cpu or gpu; "
                            "--device overrides it")
      .default_value("auto").one_of(core::device_requests());
  add_progress_key(run);
  io::add_checkpoint_schema(schema);
  for (const Kind& k : kinds)
    if (solver.empty() || k.name == solver) k.add_schema(schema);
  return schema;
}

}  // namespace twinsim::loop
