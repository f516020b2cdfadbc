package rdb

import "sync"

// LZF as Redis ships it (liblzf 3.6, src/lzf_c.c and lzf_d.c) built with
// Redis's lzfP.h: HLOG 16, VERY_FAST, CHECK_INPUT. The compressor is
// ported step for step, because RDB files and DUMP payloads are compared
// byte for byte with Redis's: the same hash, the same match search with its
// unrolled first 16 comparisons, the same re-hashing after a match and the
// same give-up points when the output does not fit.
//
// One difference is deliberate: Redis leaves the hash table uninitialized
// (INIT_HTAB 0), so a stale slot from an earlier call may, rarely, point
// into the new input and produce a different (equally valid) match. Here
// the table starts empty on every call, which is what Redis does on a fresh
// stack and what INIT_HTAB 1 would do.
const (
	lzfHLog   = 16
	lzfHSize  = 1 << lzfHLog
	lzfMaxLit = 1 << 5
	lzfMaxOff = 1 << 13
	lzfMaxRef = 1<<8 + 1<<3
)

// lzfState is the compressor's hash table. A slot holds epoch<<32 | input
// position; a slot from an older epoch counts as empty, so the 512 KiB
// table is not cleared on each call.
type lzfState struct {
	htab  [lzfHSize]uint64
	epoch uint32
}

var lzfStates = sync.Pool{New: func() any { return new(lzfState) }}

func lzfIdx(h uint32) uint32 { return (h>>(3*8-lzfHLog) - h*5) & (lzfHSize - 1) }

// LZFCompress compresses in into out, as lzf_compress(in, len(in), out,
// len(out)), and returns the compressed length, or 0 when in is empty or
// the result does not fit in out. It is safe for concurrent use.
func LZFCompress(in, out []byte) int {
	inLen, outLen := len(in), len(out)
	if inLen == 0 || outLen == 0 {
		return 0
	}
	st := lzfStates.Get().(*lzfState)
	defer lzfStates.Put(st)
	st.epoch++
	if st.epoch == 0 {
		clear(st.htab[:])
		st.epoch = 1
	}
	tag := uint64(st.epoch) << 32
	htab := &st.htab

	ip, op, lit := 0, 1, 0 // op starts past the first run's header
	var hval uint32
	if inLen >= 2 {
		hval = uint32(in[0])<<8 | uint32(in[1])
	}
	for ip < inLen-2 {
		hval = hval<<8 | uint32(in[ip+2])
		slot := lzfIdx(hval)
		e := htab[slot]
		htab[slot] = tag | uint64(ip)
		ref := -1
		if e&^0xffffffff == tag {
			ref = int(uint32(e))
		}
		if ref > 0 && ref < ip && ip-ref-1 < lzfMaxOff &&
			in[ref+2] == in[ip+2] && in[ref] == in[ip] && in[ref+1] == in[ip+1] {
			off := ip - ref - 1
			l := 2
			maxlen := inLen - ip - l
			if maxlen > lzfMaxRef {
				maxlen = lzfMaxRef
			}
			if op+3+1 >= outLen {
				undo := 0
				if lit == 0 {
					undo = 1
				}
				if op-undo+3+1 >= outLen {
					return 0
				}
			}
			out[op-lit-1] = byte(lit - 1) // stop run
			if lit == 0 {
				op-- // undo run if length is zero
			}
			mismatch := false
			if maxlen > 16 {
				for k := 0; k < 16; k++ {
					l++
					if in[ref+l] != in[ip+l] {
						mismatch = true
						break
					}
				}
			}
			if !mismatch {
				for {
					l++
					if l >= maxlen || in[ref+l] != in[ip+l] {
						break
					}
				}
			}
			l -= 2 // now the number of octets minus one
			ip++
			if l < 7 {
				out[op] = byte(off>>8 + l<<5)
				op++
			} else {
				out[op] = byte(off>>8 + 7<<5)
				out[op+1] = byte(l - 7)
				op += 2
			}
			out[op] = byte(off)
			op++
			lit = 0
			op++ // start run
			ip += l + 1
			if ip >= inLen-2 {
				break
			}
			ip -= 2
			hval = uint32(in[ip])<<8 | uint32(in[ip+1])
			hval = hval<<8 | uint32(in[ip+2])
			htab[lzfIdx(hval)] = tag | uint64(ip)
			ip++
			hval = hval<<8 | uint32(in[ip+2])
			htab[lzfIdx(hval)] = tag | uint64(ip)
			ip++
		} else {
			if op >= outLen {
				return 0
			}
			lit++
			out[op] = in[ip]
			op++
			ip++
			if lit == lzfMaxLit {
				out[op-lit-1] = byte(lit - 1)
				lit = 0
				op++
			}
		}
	}
	if op+3 > outLen { // at most 3 bytes can be missing here
		return 0
	}
	for ip < inLen {
		lit++
		out[op] = in[ip]
		op++
		ip++
		if lit == lzfMaxLit {
			out[op-lit-1] = byte(lit - 1)
			lit = 0
			op++
		}
	}
	out[op-lit-1] = byte(lit - 1) // end run
	if lit == 0 {
		op--
	}
	return op
}

// LZFDecompress decompresses in into out, as lzf_decompress(in, len(in),
// out, len(out)), and returns the number of bytes written, or 0 when the
// data is corrupt or would not fit in out. It is safe for concurrent use.
func LZFDecompress(in, out []byte) int {
	inLen, outLen := len(in), len(out)
	if inLen == 0 {
		return 0
	}
	ip, op := 0, 0
	for {
		ctrl := int(in[ip])
		ip++
		if ctrl < 1<<5 { // literal run
			ctrl++
			if op+ctrl > outLen || ip+ctrl > inLen {
				return 0
			}
			copy(out[op:], in[ip:ip+ctrl])
			op += ctrl
			ip += ctrl
		} else { // back reference
			l := ctrl >> 5
			ref := op - (ctrl&0x1f)<<8 - 1
			if ip >= inLen {
				return 0
			}
			if l == 7 {
				l += int(in[ip])
				ip++
				if ip >= inLen {
					return 0
				}
			}
			ref -= int(in[ip])
			ip++
			l += 2
			if op+l > outLen || ref < 0 {
				return 0
			}
			// The source may overlap what is being written: copy
			// forward, byte by byte, as the format requires.
			for k := 0; k < l; k++ {
				out[op+k] = out[ref+k]
			}
			op += l
		}
		if ip >= inLen {
			return op
		}
	}
}

// lzfMaxRatio bounds how much LZF can expand: a 3-byte back reference
// yields at most 264 bytes.
const lzfMaxRatio = 88
