package funcs

// Tick runs one scheduled occurrence of the named function now, as the cron
// clock would, so tests can drive the schedule without waiting for real time.
func (s *Scheduler) Tick(name string) { s.tick(name) }
