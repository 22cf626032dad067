//go:build !unix

package remediate

import "os"

// noFollow: no such open flag here.
const noFollow = 0

// lockFile does nothing where flock does not exist: two runs must not
// share a journal.
func lockFile(*os.File) error { return nil }

// syncDir does nothing where folders cannot be synced.
func syncDir(string) error { return nil }
