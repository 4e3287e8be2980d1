#pragma once
// Graceful stops for batch jobs (Slurm's --signal, scancel, Ctrl-C). After
// install_stop_signals(), the first SIGTERM, SIGINT or SIGUSR1 only raises a flag that run loops
// poll at step boundaries: they write a checkpoint, close their files and exit with status 3.
// A second signal ends the process at once with status 128 + signal number; what was flushed
// stays readable (HDF5 series say how many frames are whole in `complete_frames`).
namespace twinsim::core {

void install_stop_signals();
// True once a stop signal has arrived.
bool stop_requested();
// The signal that asked for the stop (SIGTERM, ...), 0 when none has.
int stop_signal();
// Takes `signal` as if it had arrived here (a no-op when a stop is requested already): the run
// loop's ranks agree on a stop that reached any of them.
void request_stop(int signal);
// Signal name for messages: "SIGTERM", "SIGINT", "SIGUSR1".
const char* signal_name(int signal);

}  // namespace twinsim::core
