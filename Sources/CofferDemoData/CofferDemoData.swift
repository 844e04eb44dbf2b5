// CofferDemoData: synthetic, deterministic customers, orders and outcomes.
//
// - DemoDataGenerator.swift: the rows, derived only from (seed, customer index, as-of date).
// - DemoData.swift: writes them as customers.csv, orders.csv and outcomes.csv.
//
// Depends on Coffer (CivilDate, VaultError, WorkProgress) and CofferSupport (CSVWriter). Used by
// the CLI's `demo-data` command (and so the demo), the tests and the benchmarks; never by the vault.
