// Package proto implements the Redis serialization protocol (RESP2 and
// RESP3) as a pure codec: it parses client requests, encodes replies, and
// parses replies back for tests and for front ends that render them as text.
//
// It imports only the standard library and knows nothing of commands,
// clients or sockets. The event loop feeds each client's unconsumed input to
// that client's Parser and hands the arguments to the command layer; the
// command layer encodes its replies with the Append functions, which follow
// the strconv.AppendInt style and never allocate beyond growing dst.
//
// Request parsing follows Redis 7.0 (processInlineBuffer and
// processMultibulkBuffer in src/networking.c, sdssplitargs in src/sds.c,
// string2ll in src/util.c) byte for byte, including its error texts, its
// limits and its quirks, so that a client sees the same replies and the same
// disconnections as from a real redis-server.
//
// Concurrency: a Parser belongs to one client and must not be used from two
// goroutines at once. All package-level functions are safe for concurrent
// use.
package proto
