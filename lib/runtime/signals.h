// Termination signals handled synchronously: block them in every thread at start-up, then one
// thread waits for SIGTERM or SIGINT and shuts the service down in order.
#pragma once

namespace p2pims {

// Blocks SIGTERM, SIGINT and SIGPIPE in the calling thread and every thread it starts later.
// Call first thing in main().
void BlockTerminationSignals();

// Waits until SIGTERM or SIGINT arrives; returns the signal number.
int WaitForTerminationSignal();

}  // namespace p2pims
