package sandbox_test

import (
	"sync"
	"testing"
	"time"

	"github.com/linkmobility/sms2vipps/sandbox"
	"github.com/stretchr/testify/assert"
)

func TestClock(t *testing.T) {
	c := sandbox.NewClock(t0)
	assert.Equal(t, t0, c.Now(), "stands still")
	c.Advance(90 * time.Minute)
	assert.Equal(t, t0.Add(90*time.Minute), c.Now())
	later := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c.Set(later)
	assert.Equal(t, later, c.Now())

	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				c.Advance(time.Second)
				_ = c.Now()
			}
		})
	}
	wg.Wait()
	assert.Equal(t, later.Add(800*time.Second), c.Now())

	var zero sandbox.Clock
	assert.WithinDuration(t, time.Now(), zero.Now(), time.Minute, "the zero clock follows the wall clock")
}

func TestSandboxClockFollowsConfigNow(t *testing.T) {
	base := sandbox.NewClock(t0)
	sb := sandbox.New(sandbox.Config{Now: base.Now})
	defer sb.Close()
	sb.Clock.Advance(time.Hour)
	assert.Equal(t, t0.Add(time.Hour), sb.Clock.Now())
	base.Advance(time.Minute)
	assert.Equal(t, t0.Add(time.Hour+time.Minute), sb.Clock.Now(), "both moves count")
}
