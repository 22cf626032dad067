package scanner

import (
	"fmt"

	"github.com/ownerscan/ownerscan/internal/answer"
)

// maxPagesWithoutProgress is how many pages in a row a listing may answer
// without anything new (no entry not seen before) before it is given up.
// Organizations documents that a List* page may occasionally be empty
// while NextToken is set, so one such page is normal; ten in a row is a
// listing that does not move.
const maxPagesWithoutProgress = 10

// pageGuard follows one paginated listing (ListAccounts, ListBuckets, one
// parent's pages of the organization walk) and fails it when it makes no
// progress: a next-page token already followed (the same token again, or a
// cycle of tokens) at once, pages that bring nothing new after
// maxPagesWithoutProgress. A server that never stops paginating would
// otherwise hold the scan for ever, and ListAccounts would add the same
// accounts again on every page.
type pageGuard struct {
	followed map[string]struct{}
	stalled  int
}

// next takes the token a page asks to continue with ("" at the end) and
// whether the page brought anything new. The error does not name the
// operation: callers do.
func (g *pageGuard) next(token string, progress bool) error {
	if progress {
		g.stalled = 0
	} else {
		g.stalled++
	}
	if token == "" {
		return nil
	}
	if _, again := g.followed[token]; again {
		return fmt.Errorf("pagination does not advance: next-page token %q was already followed", answer.Excerpt([]byte(token)))
	}
	if g.stalled >= maxPagesWithoutProgress {
		return fmt.Errorf("pagination does not advance: %d pages in a row brought nothing new", g.stalled)
	}
	if g.followed == nil {
		g.followed = map[string]struct{}{}
	}
	g.followed[token] = struct{}{}
	return nil
}
