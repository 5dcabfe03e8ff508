// Preloaded (node --require) into Azurite by tests/HealthFlow.Ledger.Tests/Storage/AzuriteFixture.cs:
// exit when the test process that started this one is gone, so a killed or crashed test run does not
// leave an emulator behind. A dead parent shows either as re-parenting (process.ppid changes) or, on
// systems without it, as a failed signal-0 probe.
"use strict";
const parent = process.ppid;
setInterval(() => {
  let alive = process.ppid === parent;
  if (alive) {
    try {
      process.kill(parent, 0);
    } catch {
      alive = false;
    }
  }
  if (!alive) process.exit(0);
}, 1000).unref();
