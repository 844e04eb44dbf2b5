// CofferSupport: small generic helpers that know nothing about the vault.
//
// - CSV.swift: the streaming RFC 4180 CSV reader and writer (imports, exports, review events).
// - HTMLDocument.swift, SVGChart.swift: self-contained HTML reports with inline SVG charts.
// - YAMLDocument.swift, PolicyFileError.swift: YAML nodes with line numbers, for loaders that
//   report `file:line: message` (schema, roles, scoring models).
// - ByteBuffer.swift: a raw-pointer byte buffer for formatters that append millions of pieces.
//
// Depends on Yams only. Used by Coffer, CofferReview, CofferDemoData, Qualification and the CLI.
// What those modules need beyond the public API is `package`, never `public`.
