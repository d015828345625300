package configs

// SetAheadHook runs fn between checkAhead's read of the state and the
// write's transaction (to change the state in between).
func SetAheadHook(s *Service, fn func()) { s.aheadHook = fn }
