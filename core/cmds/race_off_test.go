//go:build !race

package cmds_test

// raceDetector tells tests whose work is too slow under the race
// detector (PFSELFTEST's ten million additions) to skip.
const raceDetector = false
