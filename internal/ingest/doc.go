// Package ingest turns log files and request bodies into events. It owns
// format detection and the parsers for each input format: newline-delimited
// JSON, JSON arrays, concatenated (pretty-printed) JSON objects, syslog
// (RFC 3164 and RFC 5424) lines, Apache/Nginx access log lines and any other
// plain text line; gzip and zip archives are opened transparently. Every
// event it produces carries its Source (file and line) and has been through
// an event.Mapping, so that rules see Sigma field names.
//
// Both `vigil hunt` (ReadPaths) and the HTTP API (ParseBatch) use it. It does
// not own what happens to an event next (detection, storage), the HTTP
// handler and its body limit (internal/api), nor network listeners: syslog
// over UDP, TCP and TLS are a later issue and will reuse the line parsers
// here.
//
// # Format detection
//
// The format of a stream is sniffed from its first bytes, not its name:
// gzip and zip magic numbers open the archive and sniff again inside (zip
// members one by one, named "archive.zip!member"); a first non-blank byte
// "{" reads JSON objects, one per line or spread over several lines; "["
// followed by "{" or "]" reads a JSON array; anything else is read as text
// lines, each parsed by the first line format that fits. A UTF-8 byte order
// mark is skipped, and CRLF line endings are accepted everywhere. A zip
// archive that is not a file of its own (inside a gzip stream or another
// archive, or read from a pipe) is read into memory first, and one over
// 256 MiB is an unreadable input: extract it and read the files.
//
// # Text line fields
//
// Syslog lines (RFC 3164, with or without <PRI>, and RFC 5424) give
// timestamp (RFC 3339, UTC when the line has no zone), host, program, pid,
// msgid, structured_data (SD-ID to a map of parameter names to values),
// message, and facility and severity (numbers) when the line has a PRI.
// RFC 3164 has no year: it is Options.Year, or else the current year, or the
// previous one when the date would lie more than a day in the future; a
// month of January after December moves to the next year.
//
// Access log lines (Apache/Nginx common and combined) give c-ip,
// cs-username (absent when "-"), cs-method, c-uri (path and query),
// c-uri-stem, c-uri-query (without "?"), cs-version, sc-status, sc-bytes
// (absent when "-"), cs-referer, cs-user-agent and timestamp. Numbers are
// json.Number, like numbers read from JSON.
//
// Any other line is {"message": line}.
//
// # Bad records
//
// A record that cannot be parsed (invalid JSON, a JSON value that is not an
// object, a line longer than Options.MaxLineBytes) is reported to the onErr
// callback as a *LineError, and reading goes on with the next record. Empty
// lines are skipped silently. Only a stream that cannot be read at all (an
// I/O error, a corrupt archive) ends reading with an error.
package ingest
