// Package webhook owns the CI webhook: the HTTP handler that takes CI
// events by POST (one canonical event, or a JSON array of them),
// authenticates each request (HMAC-SHA256 over "<timestamp>.<body>" with a
// secret read from a file, the timestamp inside a replay window), bounds
// and decodes it with the canonical decoder, and appends the accepted
// events to a spool file under the state directory, synced to disk before
// the 2xx is returned.
//
// The spool is followed by the pipeline as one more CI input (Input), like
// any file: positions, deduplication and restart safety are the engine's,
// so a crash after the 2xx loses nothing and counts nothing twice. This
// package owns the spool files (their rotation, and the removal of rotated
// files the engine's saved positions are past, Prune) and the
// heady_exporter_webhook_requests_total counter. It never applies an event to the
// engine, never logs a rejected request (it counts it), and never logs or
// serves the secret.
package webhook
