package cmds

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
)

// LOLWUT, after Redis 7.0's lolwut.c, lolwut5.c and lolwut6.c: version
// 7.0 answers with its version line; VERSION 5 draws Georg Nees's
// Schotter in Braille characters, VERSION 6 a skyline in terminal colours.
// Both draw with random numbers from row 3 (5) or everywhere (6), as Redis
// does, so only their shape and the degenerate sizes are reproducible.

// LOLWUT [VERSION version] [version-specific arguments ...]
func lolwutCommand(c *Client) {
	args := c.argv
	version := redisVersion
	if len(args) >= 3 && equalFoldC(args[1], "version") {
		v, ok := getLongFromArgOrReply(c, args[2], "")
		if !ok {
			return
		}
		version = strconv.FormatUint(uint64(uint32(v)), 10) + ".0.0"
		args = append([][]byte{args[0]}, args[3:]...)
	}
	switch {
	case strings.HasPrefix(version, "5.") && !strings.HasPrefix(version, "5.9") || strings.HasPrefix(version, "4.9"):
		lolwut5(c, args)
	case strings.HasPrefix(version, "6.") && !strings.HasPrefix(version, "6.9") || strings.HasPrefix(version, "5.9"):
		lolwut6(c, args)
	default:
		c.addReplyVerbatim([]byte("Redis ver. "+redisVersion+"\n"), "txt")
	}
}

// lolwutArgs parses up to len(vals) optional integers after argv[0] into
// vals, each then clamped to [1, limits[i]].
func lolwutArgs(c *Client, args [][]byte, limits []int64, vals ...*int64) bool {
	for i, p := range vals {
		if len(args) > i+1 {
			v, ok := getLongFromArgOrReply(c, args[i+1], "")
			if !ok {
				return false
			}
			*p = v
		}
	}
	for i, p := range vals {
		*p = min(max(*p, 1), limits[i])
	}
	return true
}

// lwCanvas is a canvas of small colour numbers, 0 the background.
type lwCanvas struct {
	width, height int
	pixels        []byte
}

func newLwCanvas(w, h int, bg byte) *lwCanvas {
	cv := &lwCanvas{width: w, height: h, pixels: make([]byte, w*h)}
	for i := range cv.pixels {
		cv.pixels[i] = bg
	}
	return cv
}

func (cv *lwCanvas) set(x, y int, color byte) {
	if x < 0 || x >= cv.width || y < 0 || y >= cv.height {
		return
	}
	cv.pixels[x+y*cv.width] = color
}

func (cv *lwCanvas) get(x, y int) byte {
	if x < 0 || x >= cv.width || y < 0 || y >= cv.height {
		return 0
	}
	return cv.pixels[x+y*cv.width]
}

// line draws with Bresenham's algorithm.
func (cv *lwCanvas) line(x1, y1, x2, y2 int, color byte) {
	dx, dy := abs(x2-x1), abs(y2-y1)
	sx, sy := -1, -1
	if x1 < x2 {
		sx = 1
	}
	if y1 < y2 {
		sy = 1
	}
	err := dx - dy
	for {
		cv.set(x1, y1, color)
		if x1 == x2 && y1 == y2 {
			break
		}
		e2 := err * 2
		if e2 > -dy {
			err -= dy
			x1 += sx
		}
		if e2 < dx {
			err += dx
			y1 += sy
		}
	}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// square draws a square centred on x, y rotated by angle, with C's float
// (float32) and double arithmetic where lwDrawSquare has them.
func (cv *lwCanvas) square(x, y int, size, angle float32, color byte) {
	var px, py [4]int
	size = float32(float64(size) / 1.4142135623)
	size = float32(math.Round(float64(size)))
	k := float32(math.Pi/4 + float64(angle))
	for j := 0; j < 4; j++ {
		px[j] = int(math.Round(math.Sin(float64(k))*float64(size) + float64(x)))
		py[j] = int(math.Round(math.Cos(float64(k))*float64(size) + float64(y)))
		k = float32(float64(k) + math.Pi/2)
	}
	for j := 0; j < 4; j++ {
		cv.line(px[j], py[j], px[(j+1)%4], py[(j+1)%4], color)
	}
}

// crand is C's rand(): 0 to RAND_MAX.
func crand() int32 { return rand.Int32() }

const cRandMax = 1<<31 - 1

// lolwut5 is LOLWUT VERSION 5 [columns [squares-per-row [squares-per-col]]].
func lolwut5(c *Client, args [][]byte) {
	cols, perRow, perCol := int64(66), int64(8), int64(12)
	if !lolwutArgs(c, args, []int64{1000, 200, 200}, &cols, &perRow, &perCol) {
		return
	}
	width := int(cols) * 2
	padding := 0
	if width > 4 {
		padding = 2
	}
	side := float32(width-padding*2) / float32(perRow)
	height := int(side*float32(perCol) + float32(padding*2))
	cv := newLwCanvas(width, height, 0)
	for y := 0; y < int(perCol); y++ {
		for x := 0; x < int(perRow); x++ {
			sx := int(float32(x)*side + side/2 + float32(padding))
			sy := int(float32(y)*side + side/2 + float32(padding))
			var angle float32
			if y > 1 {
				r := func() float32 { return float32(crand()) / float32(cRandMax) / float32(perCol) * float32(y) }
				r1, r2, r3 := r(), r(), r()
				if crand()%2 != 0 {
					r1 = -r1
				}
				if crand()%2 != 0 {
					r2 = -r2
				}
				if crand()%2 != 0 {
					r3 = -r3
				}
				angle = r1
				sx = int(float32(sx) + r2*side/3)
				sy = int(float32(sy) + r3*side/3)
			}
			cv.square(sx, sy, side, angle, 1)
		}
	}
	// Braille: each character holds 2x4 pixels.
	var b []byte
	for y := 0; y < cv.height; y += 4 {
		for x := 0; x < cv.width; x += 2 {
			bits := 0
			for i, p := range [8][2]int{{0, 0}, {0, 1}, {0, 2}, {1, 0}, {1, 1}, {1, 2}, {0, 3}, {1, 3}} {
				if cv.get(x+p[0], y+p[1]) != 0 {
					bits |= 1 << i
				}
			}
			code := 0x2800 + bits
			b = append(b, byte(0xE0|code>>12), byte(0x80|(code>>6)&0x3F), byte(0x80|code&0x3F))
		}
		if y != cv.height-1 {
			b = append(b, '\n')
		}
	}
	b = append(b, "\nGeorg Nees - schotter, plotter on paper, 1968. Redis ver. "+redisVersion+"\n"...)
	c.addReplyVerbatim(b, "txt")
}

// lolwut6 is LOLWUT VERSION 6 [columns [rows]].
func lolwut6(c *Client, args [][]byte) {
	cols, rows := int64(80), int64(20)
	if !lolwutArgs(c, args, []int64{1000, 1000}, &cols, &rows) {
		return
	}
	cv := newLwCanvas(int(cols), int(rows), 3)
	lwSkyline(cv)
	var b strings.Builder
	for y := 0; y < cv.height; y++ {
		for x := 0; x < cv.width; x++ {
			ce := "0;30;40m"
			switch cv.get(x, y) {
			case 1:
				ce = "0;90;100m"
			case 2:
				ce = "0;37;47m"
			case 3:
				ce = "0;97;107m"
			}
			fmt.Fprintf(&b, "\033[%s \033[0m", ce)
		}
		if y != cv.height-1 {
			b.WriteByte('\n')
		}
	}
	b.WriteString("\nDedicated to the 8 bit game developers of past and present.\n" +
		"Original 8 bit image from Plaguemon by hikikomori. Redis ver. " + redisVersion + "\n")
	c.addReplyVerbatim([]byte(b.String()), "txt")
}

type lwSkyscraper struct {
	xoff, width, height int
	windows             bool
	color               byte
}

func lwDrawSkyscraper(cv *lwCanvas, si lwSkyscraper) {
	starty := cv.height - 1
	endy := starty - si.height + 1
	for y := starty; y >= endy; y-- {
		for x := si.xoff; x < si.xoff+si.width; x++ {
			if y == endy && (x <= si.xoff+1 || x >= si.xoff+si.width-2) {
				continue
			}
			color := si.color
			if si.windows && x > si.xoff+1 && x < si.xoff+si.width-2 && y > endy+1 && y < starty-1 {
				relx, rely := x-(si.xoff+1), y-(endy+1)
				if relx/2%2 != 0 && rely%2 != 0 {
					for {
						color = byte(1 + crand()%2)
						if color != si.color {
							break
						}
					}
					if relx%2 != 0 {
						color = cv.get(x-1, y)
					}
				}
			}
			cv.set(x, y, color)
		}
	}
}

func lwSkyline(cv *lwCanvas) {
	h := int32(cv.height)
	for color := byte(2); color >= 1; color-- {
		for offset := -10; offset < cv.width; {
			offset += int(crand() % 8)
			si := lwSkyscraper{xoff: offset, width: 10 + int(crand()%9), color: color}
			if color == 2 {
				si.height = int(h/2 + crand()%h/2)
			} else {
				si.height = int(h/2 + crand()%h/3)
			}
			lwDrawSkyscraper(cv, si)
			if color == 2 {
				offset += si.width / 2
			} else {
				offset += si.width + 1
			}
		}
	}
	for offset := -10; offset < cv.width; {
		offset += int(crand() % 8)
		si := lwSkyscraper{xoff: offset, width: 5 + int(crand()%14), windows: true}
		if si.width%4 != 0 {
			si.width += si.width % 3
		}
		si.height = int(h/3 + crand()%h/2)
		lwDrawSkyscraper(cv, si)
		offset += si.width + 5
	}
}
