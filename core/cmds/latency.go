package cmds

import (
	"fmt"
	"math"
	"math/bits"
	"sort"
	"strings"
	"time"
)

// The latency monitor, after Redis 7.0's latency.c: events ("command",
// "fast-command", "eviction-cycle", "eviction-del" …) that took at least
// latency-monitor-threshold milliseconds are recorded, one sample per
// second per event (the highest), the last 160 kept, with the all-time
// maximum. LATENCY HISTOGRAM reports per-command latency distributions in
// power-of-two buckets, as Redis's HDR histograms iterated by powers of two
// from 1024 ns.

const (
	latencyTSLen     = 160
	latencyGraphCols = 80
)

type latencySample struct {
	time    int64 // unix seconds
	latency int64 // ms
}

type latencyTimeSeries struct {
	idx     int
	max     int64
	samples [latencyTSLen]latencySample
}

// latencyState holds the event time series (in creation order) and the
// command histograms.
type latencyState struct {
	events map[string]*latencyTimeSeries
	order  []string
	hist   map[*command]*commandHistogram
}

// commandHistogram counts calls by duration: bucket k holds the calls of
// at most 1024<<k ns.
type commandHistogram struct {
	calls   int64
	buckets [48]int64
}

// latencyAddSampleIfNeeded records an event of ms milliseconds when the
// monitor is on and it reaches the threshold.
func (srv *Server) latencyAddSampleIfNeeded(event string, ms int64) {
	if t := srv.Config.latencyMonitorThreshold; t > 0 && ms >= t {
		srv.latencyAddSample(event, ms)
	}
}

func (srv *Server) latencyAddSample(event string, ms int64) {
	st := &srv.latency
	if st.events == nil {
		st.events = map[string]*latencyTimeSeries{}
	}
	ts := st.events[event]
	if ts == nil {
		ts = &latencyTimeSeries{}
		st.events[event] = ts
		st.order = append(st.order, event)
	}
	now := time.Now().Unix()
	if ms > ts.max {
		ts.max = ms
	}
	prev := (ts.idx + latencyTSLen - 1) % latencyTSLen
	if ts.samples[prev].time == now {
		if ms > ts.samples[prev].latency {
			ts.samples[prev].latency = ms
		}
		return
	}
	ts.samples[ts.idx] = latencySample{time: now, latency: ms}
	ts.idx = (ts.idx + 1) % latencyTSLen
}

// latencyAfterCommand records a command's duration: the "command" or
// "fast-command" event and its histogram.
func (srv *Server) latencyAfterCommand(cmd *command, usec int64) {
	event := "command"
	if cmd.flags&cmdFast != 0 {
		event = "fast-command"
	}
	srv.latencyAddSampleIfNeeded(event, usec/1000)
	srv.latencyHistogramAdd(cmd, usec)
}

// latencyHistogramAdd records a call of cmd that took usec in its latency
// histogram (LATENCY HISTOGRAM, INFO latencystats).
func (srv *Server) latencyHistogramAdd(cmd *command, usec int64) {
	st := &srv.latency
	if st.hist == nil {
		st.hist = map[*command]*commandHistogram{}
	}
	h := st.hist[cmd]
	if h == nil {
		h = &commandHistogram{}
		st.hist[cmd] = h
	}
	h.calls++
	ns := uint64(max(usec, 1)) * 1000
	k := 0
	if ns > 1024 {
		k = bits.Len64((ns - 1) >> 10)
	}
	h.buckets[min(k, len(h.buckets)-1)]++
}

var latencyHelp = []string{
	"DOCTOR",
	"    Return a human readable latency analysis report.",
	"GRAPH <event>",
	"    Return an ASCII latency graph for the <event> class.",
	"HISTORY <event>",
	"    Return time-latency samples for the <event> class.",
	"LATEST",
	"    Return the latest latency samples for all events.",
	"RESET [<event> ...]",
	"    Reset latency data of one or more <event> classes.",
	"    (default: reset all data for all event classes)",
	"HISTOGRAM [COMMAND ...]",
	"    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
	"    If no commands are specified then all histograms are replied.",
}

// LATENCY HELP
func latencyHelpCommand(c *Client) { c.addReplyHelp(latencyHelp) }

// latencyContainerCommand runs for LATENCY without a subcommand (unreachable).
func latencyContainerCommand(c *Client) { c.addReplySubcommandSyntaxError() }

// LATENCY LATEST
func latencyLatestCommand(c *Client) {
	st := &c.srv.latency
	c.addReplyArrayLen(len(st.order))
	for _, event := range st.order {
		ts := st.events[event]
		last := (ts.idx + latencyTSLen - 1) % latencyTSLen
		c.addReplyArrayLen(4)
		c.addReplyBulkString(event)
		c.addReplyInt(ts.samples[last].time)
		c.addReplyInt(ts.samples[last].latency)
		c.addReplyInt(ts.max)
	}
}

// LATENCY HISTORY event
func latencyHistoryCommand(c *Client) {
	ts := c.srv.latency.events[string(c.argv[2])]
	if ts == nil {
		c.addReplyArrayLen(0)
		return
	}
	d := c.addReplyDeferredLen()
	n := 0
	for j := 0; j < latencyTSLen; j++ {
		s := ts.samples[(ts.idx+j)%latencyTSLen]
		if s.time == 0 {
			continue
		}
		c.addReplyArrayLen(2)
		c.addReplyInt(s.time)
		c.addReplyInt(s.latency)
		n++
	}
	c.setDeferredArrayLen(d, n)
}

// LATENCY RESET [event [event ...]]
func latencyResetCommand(c *Client) {
	st := &c.srv.latency
	reset := func(event string) int64 {
		if _, ok := st.events[event]; !ok {
			return 0
		}
		delete(st.events, event)
		for i, e := range st.order {
			if e == event {
				st.order = append(st.order[:i], st.order[i+1:]...)
				break
			}
		}
		return 1
	}
	var n int64
	if len(c.argv) == 2 {
		for _, e := range append([]string(nil), st.order...) {
			n += reset(e)
		}
	} else {
		for _, a := range c.argv[2:] {
			n += reset(string(a))
		}
	}
	c.addReplyInt(n)
}

// LATENCY GRAPH event
func latencyGraphCommand(c *Client) {
	event := string(c.argv[2])
	ts := c.srv.latency.events[event]
	if ts == nil {
		c.addReplyErrorFormat("No samples available for event '%s'", event)
		return
	}
	c.addReplyVerbatim([]byte(latencyGraph(event, ts)), "txt")
}

// latencyGraph renders the ASCII sparkline of LATENCY GRAPH
// (latencyCommandGenSparkeline with sparkline.c's filled rendering).
func latencyGraph(event string, ts *latencyTimeSeries) string {
	type sample struct {
		value int64
		label string
	}
	var seq []sample
	var lo, hi int64
	now := time.Now().Unix()
	for j := 0; j < latencyTSLen; j++ {
		s := ts.samples[(ts.idx+j)%latencyTSLen]
		if s.time == 0 {
			continue
		}
		if len(seq) == 0 {
			lo, hi = s.latency, s.latency
		} else {
			lo, hi = min(lo, s.latency), max(hi, s.latency)
		}
		elapsed := now - s.time
		var label string
		switch {
		case elapsed < 60:
			label = fmt.Sprintf("%ds", elapsed)
		case elapsed < 3600:
			label = fmt.Sprintf("%dm", elapsed/60)
		case elapsed < 3600*24:
			label = fmt.Sprintf("%dh", elapsed/3600)
		default:
			label = fmt.Sprintf("%dd", elapsed/(3600*24))
		}
		seq = append(seq, sample{s.latency, label})
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s - high %d ms, low %d ms (all time high %d ms)\n", event, hi, lo, ts.max)
	b.WriteString(strings.Repeat("-", latencyGraphCols) + "\n")
	const rows, charset = 4, "_o#"
	steps := len(charset) * rows
	relmax := float64(hi - lo)
	if relmax == 0 {
		relmax = 1
	}
	for off := 0; off < len(seq); off += latencyGraphCols {
		if off != 0 {
			b.WriteByte('\n')
		}
		part := seq[off:min(off+latencyGraphCols, len(seq))]
		chars := make([]byte, len(part))
		for row := 0; ; row++ {
			loop := false
			for j := range chars {
				chars[j] = ' '
			}
			for j, s := range part {
				step := int(float64(s.value-lo) * float64(steps) / relmax)
				step = max(0, min(step, steps-1))
				if row < rows {
					loop = true
					idx := step - (rows-row-1)*len(charset)
					if idx >= 0 && idx < len(charset) {
						chars[j] = charset[idx]
					} else if idx >= len(charset) {
						chars[j] = '|'
					}
				} else {
					if row-rows < 1 {
						loop = true
						break
					}
					if lc := row - rows - 1; len(s.label) > lc {
						loop = true
						chars[j] = s.label[lc]
					}
				}
			}
			if !loop {
				break
			}
			b.Write(chars)
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// LATENCY DOCTOR
func latencyDoctorCommand(c *Client) {
	srv := c.srv
	st := &srv.latency
	var b strings.Builder
	switch {
	case len(st.order) == 0 && srv.Config.latencyMonitorThreshold == 0:
		b.WriteString("I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. If we weren't in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n")
	case len(st.order) == 0:
		b.WriteString("Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. I honestly think you ought to sit down calmly, take a stress pill, and think things over.\n")
	default:
		b.WriteString("Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n")
		for i, event := range st.order {
			ts := st.events[event]
			var n, sum, first, last int64
			for _, s := range ts.samples {
				if s.time == 0 {
					continue
				}
				if n == 0 || s.time < first {
					first = s.time
				}
				last = max(last, s.time)
				n++
				sum += s.latency
			}
			avg := sum / max(n, 1)
			var mad float64
			for _, s := range ts.samples {
				if s.time != 0 {
					mad += math.Abs(float64(s.latency - avg))
				}
			}
			mad /= float64(max(n, 1))
			period := float64(time.Now().Unix()-first) / float64(max(n, 1))
			fmt.Fprintf(&b, "%d. %s: %d latency spikes (average %dms, mean deviation %dms, period %.2f sec). Worst all time event %dms.\n",
				i+1, event, n, avg, int64(mad), period, ts.max)
		}
		b.WriteString("\nI have a few advices for you:\n\n- Check your system for latency sources: the command latency events above show commands slower than latency-monitor-threshold. Check the SLOWLOG for the slow commands.\n")
	}
	c.addReplyVerbatim([]byte(b.String()), "txt")
}

// LATENCY HISTOGRAM [command [command ...]]
func latencyHistogramCommand(c *Client) {
	st := &c.srv.latency
	var cmds []*command
	if len(c.argv) == 2 {
		for cmd := range st.hist {
			cmds = append(cmds, cmd)
		}
		sort.Slice(cmds, func(i, j int) bool { return cmds[i].fullName < cmds[j].fullName })
	} else {
		seen := map[*command]bool{}
		for _, a := range c.argv[2:] {
			cmd := lookupCommandByFullName(a)
			if cmd == nil || seen[cmd] {
				continue
			}
			seen[cmd] = true
			if st.hist[cmd] != nil {
				cmds = append(cmds, cmd)
			}
		}
	}
	c.addReplyMapLen(len(cmds))
	for _, cmd := range cmds {
		h := st.hist[cmd]
		c.addReplyBulkString(cmd.fullName)
		c.addReplyMapLen(2)
		c.addReplyBulkString("calls")
		c.addReplyInt(h.calls)
		c.addReplyBulkString("histogram_usec")
		d := c.addReplyDeferredLen()
		n := 0
		var cum int64
		for k, cnt := range h.buckets {
			if cnt == 0 {
				continue
			}
			cum += cnt
			// The label of the bucket is HDR's highest equivalent value
			// of 1024<<k ns, in µs.
			v := (uint64(1024)<<k + uint64(8)<<k - 1) / 1000
			c.addReplyInt(int64(v))
			c.addReplyInt(cum)
			n++
		}
		c.setDeferredMapLen(d, n)
	}
}
