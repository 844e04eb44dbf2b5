// CofferReview: the periodic security review, built on the vault's verified audit log.
//
// - Vault+Review.swift: `exportReviewPackage`, `subjectAccessReport`, `processingRecord`.
// - ReviewPackage.swift: the signed package on disk and its offline `verify`.
// - ReviewScan.swift, EventFormats.swift, ReviewAccumulator.swift: one streaming pass over
//   verified audit batches: JSON Lines, CSV and OCSF events, and the counts of the summary.
// - ReviewSummary.swift, ReviewReport.swift, Anomalies.swift: `summary.json`, `report.html` and
//   the anomaly rules; ProcessingRecord.swift, PolicyDiff.swift: the record of processing
//   activities and the policy history's diffs.
//
// Depends on Coffer (the vault's `package` audit, key and access internals), CofferCrypto and
// CofferSupport. Used by the CLI (`coffer review`) and coffer-speed.
