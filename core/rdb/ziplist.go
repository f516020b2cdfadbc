package rdb

import (
	"encoding/binary"
	"errors"
)

// The encodings of small collections older RDB files carry, read so that
// files written by Redis 2.6 to 6.2 load: the ziplist (ziplist.c; RDB types
// TypeListZiplist, TypeZSetZiplist, TypeHashZiplist and the nodes of
// TypeListQuicklist) and the zipmap (zipmap.c; TypeHashZipmap). Redis 7.0
// converts both to listpacks as it loads them; so does the caller, from
// the entries these functions walk. Nothing here writes them.

// ErrZiplist is returned for a ziplist or zipmap blob that is not well formed.
var ErrZiplist = errors.New("rdb: invalid ziplist or zipmap")

// Ziplist layout: zlbytes (uint32 LE), zltail (uint32 LE), zllen (uint16
// LE), the entries, then the 0xFF end byte. An entry is prevlen (1 byte,
// or 0xFE and a uint32 LE), an encoding, and the data.
const (
	zlHeaderSize = 10
	zlEnd        = 0xFF
	zlBigPrevlen = 0xFE
)

// ZiplistEntries calls fn with every entry of the ziplist zl, in order: a
// string as s (a view of zl), an integer as v with isInt set. It checks the
// structure as ziplistValidateIntegrity with deep checks does (sizes,
// encodings, prevlen chain, entry count) and stops at the first error.
func ZiplistEntries(zl []byte, fn func(s []byte, v int64, isInt bool)) error {
	if len(zl) < zlHeaderSize+1 || int(binary.LittleEndian.Uint32(zl)) != len(zl) || zl[len(zl)-1] != zlEnd {
		return ErrZiplist
	}
	tail := int(binary.LittleEndian.Uint32(zl[4:]))
	if tail > len(zl)-1 {
		return ErrZiplist
	}
	header := int(binary.LittleEndian.Uint16(zl[8:]))
	end := len(zl) - 1
	p, prevSize, count, last := zlHeaderSize, 0, 0, zlHeaderSize
	for p < end {
		// prevlen
		var prevlen, n int
		if zl[p] < zlBigPrevlen {
			prevlen, n = int(zl[p]), 1
		} else if zl[p] == zlBigPrevlen {
			if p+5 > end {
				return ErrZiplist
			}
			prevlen, n = int(binary.LittleEndian.Uint32(zl[p+1:])), 5
		} else {
			return ErrZiplist
		}
		if prevlen != prevSize {
			return ErrZiplist
		}
		q := p + n
		if q >= end {
			return ErrZiplist
		}
		enc := zl[q]
		var hdr, dataLen int
		isInt := true
		switch enc >> 6 {
		case 0: // 00pppppp
			hdr, dataLen, isInt = 1, int(enc&0x3f), false
		case 1: // 01pppppp qqqqqqqq
			if q+2 > end {
				return ErrZiplist
			}
			hdr, dataLen, isInt = 2, int(enc&0x3f)<<8|int(zl[q+1]), false
		case 2: // 10000000 + uint32 BE
			if enc != 0x80 || q+5 > end {
				return ErrZiplist
			}
			hdr, dataLen, isInt = 5, int(binary.BigEndian.Uint32(zl[q+1:])), false
		default:
			hdr = 1
			switch enc {
			case 0xC0:
				dataLen = 2
			case 0xD0:
				dataLen = 4
			case 0xE0:
				dataLen = 8
			case 0xF0:
				dataLen = 3
			case 0xFE:
				dataLen = 1
			default:
				if enc < 0xF1 || enc > 0xFD {
					return ErrZiplist
				}
			}
		}
		d := q + hdr
		if dataLen < 0 || d+dataLen > end {
			return ErrZiplist
		}
		data := zl[d : d+dataLen]
		if !isInt {
			fn(data, 0, false)
		} else {
			var v int64
			switch enc {
			case 0xC0:
				v = int64(int16(binary.LittleEndian.Uint16(data)))
			case 0xD0:
				v = int64(int32(binary.LittleEndian.Uint32(data)))
			case 0xE0:
				v = int64(binary.LittleEndian.Uint64(data))
			case 0xF0:
				v = int64(int32(uint32(data[0])<<8|uint32(data[1])<<16|uint32(data[2])<<24) >> 8)
			case 0xFE:
				v = int64(int8(data[0]))
			default:
				v = int64(enc&0x0f) - 1
			}
			fn(nil, v, true)
		}
		last = p
		prevSize = d + dataLen - p
		p = d + dataLen
		count++
	}
	if p != end {
		return ErrZiplist
	}
	if count > 0 && last != tail || count == 0 && tail != zlHeaderSize {
		return ErrZiplist
	}
	if header != 0xFFFF && header != count {
		return ErrZiplist
	}
	return nil
}

// ZipmapEntries calls fn with every key and value of the zipmap zm (views
// of zm), checking its structure as zipmapValidateIntegrity does. A zipmap
// is zmlen (1 byte), then key length, key, value length, a free byte,
// value and free padding per entry, then 0xFF; a length is one byte below
// 254 or 254 followed by a uint32 LE.
func ZipmapEntries(zm []byte, fn func(key, val []byte)) error {
	if len(zm) < 2 || zm[len(zm)-1] != zlEnd {
		return ErrZiplist
	}
	end := len(zm) - 1
	readLen := func(p int) (int, int, bool) {
		if p >= end {
			return 0, 0, false
		}
		if zm[p] < 254 {
			return int(zm[p]), p + 1, true
		}
		if zm[p] != 254 || p+5 > end {
			return 0, 0, false
		}
		return int(binary.LittleEndian.Uint32(zm[p+1:])), p + 5, true
	}
	p, count := 1, 0
	for p < end {
		klen, q, ok := readLen(p)
		if !ok || klen < 0 || q+klen > end {
			return ErrZiplist
		}
		key := zm[q : q+klen]
		vlen, q2, ok := readLen(q + klen)
		if !ok || vlen < 0 || q2+1 > end {
			return ErrZiplist
		}
		free := int(zm[q2])
		v := q2 + 1
		if v+vlen+free > end {
			return ErrZiplist
		}
		fn(key, zm[v:v+vlen])
		p = v + vlen + free
		count++
	}
	if p != end {
		return ErrZiplist
	}
	if zm[0] < 254 && int(zm[0]) != count {
		return ErrZiplist
	}
	return nil
}
