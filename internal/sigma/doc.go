// Package sigma owns Vigil's Sigma engine: it parses Sigma detection rules,
// resolves their logsource through a logsource mapping, compiles their
// detection once, and matches events against a whole rule set.
//
// It does not parse log records or rename exporter fields (internal/event
// and internal/ingest do: rules expect Sigma field names such as EventID,
// Channel and Image at the top level of an event), it does not turn matches
// into alerts (internal/detect), and it does not evaluate correlation rules
// yet.
//
// # Rules
//
// Load reads files and folders; Parse reads one YAML stream of documents.
// A rule that cannot be loaded becomes a Diagnostic with its file, line,
// column and reason; correlation rules and filter documents are reported
// with Skipped set. Legacy rule collections (action: global, reset and
// repeat) are expanded into their rules.
//
// Supported from the Sigma specification (rules 2.x, modifiers appendix
// 2.1):
//   - selections as maps (AND of fields), lists of maps (OR), field values
//     as lists (OR, or AND with all), null (the field is absent or null),
//     an empty string value (the field is the empty string);
//   - wildcards * and ? with the escapes \*, \? and \\; matching ignores
//     case unless the cased modifier is given;
//   - keyword selections, a string or a list (OR, or AND with '|all'),
//     searched as substrings of every string and number in the event;
//   - modifiers contains, startswith, endswith, all, cased, exists, re with
//     i, m and s, cidr (IPv4 and IPv6), base64, base64offset, utf16le,
//     utf16be, utf16, wide, windash, lt, lte, gt, gte, neq, minute, hour,
//     day, week, month, year, fieldref and expand, chained in rule order;
//   - conditions with and, or, not, parentheses, "1 of", "all of" and
//     "N of" a selection pattern or them (which leaves out names starting
//     with _), and lists of conditions (OR);
//   - values written as numbers or booleans compare with their text and, for
//     numbers, numerically with numeric event values (EventID: 4688 equals
//     both "4688" and 4688); a list in the event matches when any element
//     does.
//
// Choices where the specification leaves room:
//   - keywords match anywhere in a value (they are substrings, as the
//     specification's examples need);
//   - neq inverts each value's test, and an absent field does not match;
//   - encoding modifiers (base64, base64offset, utf16*) encode the value's
//     text as written, with * and ? as plain characters;
//   - windash expands a dash or slash that starts a flag (after a non-word
//     character, before a word character) into -, /, en dash, em dash and
//     horizontal bar;
//   - expand substitutes Options.Placeholders; a placeholder without values
//     makes the rule fail to load, as the specification requires of a tool
//     that cannot resolve it;
//   - an ASCII letter in a rule matches its ASCII upper and lower case only
//     (not the Kelvin sign or long s); other letters use Unicode simple
//     folding.
//
// Not supported: correlation rules and Sigma filters (skipped),
// aggregations in conditions (count() and friends, from Sigma 1.0;
// reported), regular expression constructs that Go's RE2 engine lacks
// (lookaround, backreferences, atomic groups, possessive quantifiers;
// reported).
//
// # Logsources
//
// A LogsourceMapping says which events a logsource covers; see its
// documentation for the format (that of the thor.yml file SigmaHQ's
// regression tests use). DefaultLogsourceMapping is built in
// (logsources.yml): Windows channels for the services, Sysmon, Security and
// PowerShell event IDs for the categories (process_creation also as
// Security 4688 with Image read from NewProcessName), the syslog program
// for Linux services and the web access fields for webserver, with
// product-wide fallbacks for windows and linux. A rule whose logsource the
// mapping does not cover only sees events that declare that logsource in
// their fields logsource.product, logsource.category and logsource.service;
// a rule with an empty logsource sees every event.
//
// # Matching
//
// A Ruleset groups rules by resolved logsource, evaluates each group's
// filter once per event, and reaches groups through an index on EventID or
// Channel. Match is safe for concurrent use and does not allocate: strings
// are compared in place with ASCII case folding and a Unicode fallback.
package sigma
