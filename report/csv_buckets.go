package report

import (
	"fmt"
	"io"

	"github.com/ownerscan/ownerscan/scanner"
)

// bucketsHeader is the header of buckets.csv: every field of scanner.Bucket
// in order, named as in report.json.
var bucketsHeader = []string{
	"account_id", "account_name", "name", "region", "object_ownership", "status",
	"owner_canonical_id", "acl_grants", "objects_scanned", "object_scan",
	"cross_account_objects", "cross_account_bytes", "unknown_owner_objects",
	"foreign_owners", "error",
}

// fullTextNote ends a cut cell of findings.csv or buckets.csv: report.json
// keeps every text and list whole.
const fullTextNote = "full text in report.json"

// cellSeparator joins the items of a list flattened into one cell.
const cellSeparator = ";"

// writeBucketsCSV writes buckets.csv: one row per bucket, in the order of
// the result. The two lists of a bucket become one readable cell each (see
// grantsCell and foreignOwnersCell); report.json keeps them structured, with
// the sample keys.
func writeBucketsCSV(w io.Writer, doc *Document) error {
	rw := newRowWriter(w, fullTextNote)
	if err := rw.header(bucketsHeader); err != nil {
		return err
	}
	for _, b := range doc.Buckets {
		rw.text(b.AccountID)
		rw.text(b.AccountName)
		rw.text(b.Name)
		rw.text(b.Region)
		rw.text(string(b.ObjectOwnership))
		rw.text(string(b.Status))
		rw.text(b.OwnerCanonicalID)
		rw.text(grantsCell(b.ACLGrants))
		rw.int(b.ObjectsScanned)
		rw.text(string(b.ObjectScan))
		rw.int(b.CrossAccountObjects)
		rw.int(b.CrossAccountBytes)
		rw.int(b.UnknownOwnerObjects)
		rw.text(foreignOwnersCell(b.ForeignOwners))
		rw.text(b.Error)
		if err := rw.end(); err != nil {
			return err
		}
	}
	return rw.flush()
}

// grantsCell flattens ACL grants into one cell, "grantee:PERMISSION" joined
// by ";", e.g. "AllUsers:READ;member 222222222222 (AccountB):READ;
// external 79a59df9...:WRITE;LogDelivery:WRITE".
func grantsCell(grants []scanner.Grant) string {
	return capList(grantItems(grants), cellSeparator)
}

// grantItems names each grant "grantee:PERMISSION".
func grantItems(grants []scanner.Grant) []string {
	parts := make([]string, len(grants))
	for i, g := range grants {
		parts[i] = grantee(g) + ":" + g.Permission
	}
	return parts
}

// grantee names the grantee of a grant for a human.
func grantee(g scanner.Grant) string {
	switch g.Kind {
	case scanner.GranteeMember:
		if g.AccountID == "" {
			return "member " + g.CanonicalID
		}
		return "member " + accountLabel(g.AccountID, g.AccountName)
	case scanner.GranteeExternal:
		return "external " + g.CanonicalID
	case scanner.GranteeUnidentified:
		return "unidentified " + g.CanonicalID
	case scanner.GranteeOtherGroup:
		return "group " + g.URI
	case "":
		return firstNonEmpty(g.CanonicalID, g.URI)
	}
	return string(g.Kind) // AllUsers, AuthenticatedUsers, LogDelivery
}

// foreignOwnersCell flattens the foreign owners of a bucket into one cell,
// e.g. "333333333333 (AccountC): 12 objects, 3400 bytes;external 79a5...: 1
// object, 10 bytes;unidentified 0a1b...: 2 objects, 30 bytes" (an
// unidentified owner's candidates are in report.json).
func foreignOwnersCell(owners []scanner.ForeignOwner) string {
	return capList(foreignOwnerItems(owners), cellSeparator)
}

// foreignOwnerItems names each foreign owner with its counts.
func foreignOwnerItems(owners []scanner.ForeignOwner) []string {
	parts := make([]string, len(owners))
	for i, o := range owners {
		var who string
		switch {
		case o.External:
			who = "external " + o.CanonicalID
		case o.Unidentified:
			who = "unidentified " + o.CanonicalID
		default:
			who = accountLabel(firstNonEmpty(o.AccountID, o.CanonicalID), o.AccountName)
		}
		parts[i] = fmt.Sprintf("%s: %s, %s", who, plural(o.Objects, "object"), plural(o.Bytes, "byte"))
	}
	return parts
}

// accountLabel is "id (name)", or the id alone when the name is unknown.
func accountLabel(id, name string) string {
	if name == "" {
		return id
	}
	return id + " (" + name + ")"
}

func plural(n int64, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}

func firstNonEmpty(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}
