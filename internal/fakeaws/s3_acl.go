package fakeaws

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"strings"
)

// ACL grantee groups (https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html).
const (
	groupAllUsers           = "http://acs.amazonaws.com/groups/global/AllUsers"
	groupAuthenticatedUsers = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
	groupLogDelivery        = "http://acs.amazonaws.com/groups/s3/LogDelivery"
)

// ACL permissions.
const (
	permFullControl = "FULL_CONTROL"
	permRead        = "READ"
	permWrite       = "WRITE"
	permReadACP     = "READ_ACP"
	permWriteACP    = "WRITE_ACP"
)

// s3Grant is one ACL grant: to a canonical user (id) or a group (uri).
type s3Grant struct {
	granteeType string // CanonicalUser | Group
	id          string
	uri         string
	permission  string
}

func userGrant(id, perm string) s3Grant {
	return s3Grant{granteeType: "CanonicalUser", id: id, permission: perm}
}

func groupGrant(uri, perm string) s3Grant {
	return s3Grant{granteeType: "Group", uri: uri, permission: perm}
}

// grantFromSpec converts a scenario grant: an account ID of the scenario,
// "external:<canonical-id>", or a group name.
func grantFromSpec(g GrantSpec) (s3Grant, error) {
	if !validPermission(g.Permission) {
		return s3Grant{}, fmt.Errorf("permission %q is not one of FULL_CONTROL, READ, WRITE, READ_ACP, WRITE_ACP", g.Permission)
	}
	switch g.Grantee {
	case "AllUsers":
		return groupGrant(groupAllUsers, g.Permission), nil
	case "AuthenticatedUsers":
		return groupGrant(groupAuthenticatedUsers, g.Permission), nil
	case "LogDelivery":
		return groupGrant(groupLogDelivery, g.Permission), nil
	}
	return userGrant(canonicalOf(g.Grantee), g.Permission), nil
}

// canonicalOf maps a scenario principal ("external:<id>" or an account ID)
// to its canonical user ID.
func canonicalOf(who string) string {
	if id, ok := strings.CutPrefix(who, "external:"); ok {
		return id
	}
	return CanonicalIDFor(who)
}

func validPermission(p string) bool {
	switch p {
	case permFullControl, permRead, permWrite, permReadACP, permWriteACP:
		return true
	}
	return false
}

// cannedBucketGrants returns the grants a canned bucket ACL adds beyond the
// owner's FULL_CONTROL; ok is false for an unknown name.
func cannedBucketGrants(acl string) (grants []s3Grant, ok bool) {
	switch acl {
	case "", aclPrivate, aclBucketOwnerFullControl, aclBucketOwnerRead:
		return nil, true
	case aclPublicRead:
		return []s3Grant{groupGrant(groupAllUsers, permRead)}, true
	case aclPublicReadWrite:
		return []s3Grant{groupGrant(groupAllUsers, permRead), groupGrant(groupAllUsers, permWrite)}, true
	case aclAuthenticatedRead:
		return []s3Grant{groupGrant(groupAuthenticatedUsers, permRead)}, true
	case aclLogDeliveryWrite:
		return []s3Grant{groupGrant(groupLogDelivery, permWrite), groupGrant(groupLogDelivery, permReadACP)}, true
	}
	return nil, false
}

// validObjectACL reports whether acl is a canned object ACL S3 knows.
func validObjectACL(acl string) bool {
	switch acl {
	case "", aclPrivate, aclPublicRead, aclPublicReadWrite, aclAuthenticatedRead,
		aclAWSExecRead, aclBucketOwnerRead, aclBucketOwnerFullControl:
		return true
	}
	return false
}

// objectGrants is the ACL of a version: FULL_CONTROL for its owner plus what
// the canned ACL of its write added, or, for a write with x-amz-grant-*
// headers, exactly the grants those headers named (S3 then adds no grant of
// its own: https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html,
// x-amz-grant-*). Under BucketOwnerEnforced ACLs are disabled and only the
// bucket owner's FULL_CONTROL is shown.
func (b *s3Bucket) objectGrants(v *s3Version) []s3Grant {
	owner := b.effectiveOwner(v)
	grants := []s3Grant{userGrant(owner, permFullControl)}
	if b.ownership == ownershipEnforced {
		return grants
	}
	switch v.acl {
	case aclCustom:
		return append([]s3Grant(nil), v.grants...)
	case aclPublicRead:
		grants = append(grants, groupGrant(groupAllUsers, permRead))
	case aclPublicReadWrite:
		grants = append(grants, groupGrant(groupAllUsers, permRead), groupGrant(groupAllUsers, permWrite))
	case aclAuthenticatedRead:
		grants = append(grants, groupGrant(groupAuthenticatedUsers, permRead))
	case aclBucketOwnerRead:
		if owner != b.ownerCanonical {
			grants = append(grants, userGrant(b.ownerCanonical, permRead))
		}
	case aclBucketOwnerFullControl:
		if owner != b.ownerCanonical {
			grants = append(grants, userGrant(b.ownerCanonical, permFullControl))
		}
	}
	return grants
}

// bucketGrants is the bucket ACL: the owner's FULL_CONTROL, then b.acl.
func (b *s3Bucket) bucketGrants() []s3Grant {
	grants := make([]s3Grant, 0, 1+len(b.acl))
	grants = append(grants, userGrant(b.ownerCanonical, permFullControl))
	return append(grants, b.acl...)
}

// grantsAllow reports whether grants give the caller perm (FULL_CONTROL
// implies every permission).
func grantsAllow(grants []s3Grant, callerCanonical string, authenticated bool, perm string) bool {
	for _, g := range grants {
		if g.permission != perm && g.permission != permFullControl {
			continue
		}
		switch {
		case g.granteeType == "CanonicalUser" && g.id == callerCanonical:
			return true
		case g.uri == groupAllUsers:
			return true
		case g.uri == groupAuthenticatedUsers && authenticated:
			return true
		}
	}
	return false
}

// writeACLPolicy writes an AccessControlPolicy document.
func writeACLPolicy(x *xmlBuf, owner string, grants []s3Grant) {
	x.openNS("AccessControlPolicy")
	x.ownerElem(owner)
	x.open("AccessControlList")
	for _, g := range grants {
		x.open("Grant")
		x.b = append(x.b, `<Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="`...)
		x.b = append(x.b, g.granteeType...)
		x.b = append(x.b, `">`...)
		if g.granteeType == "Group" {
			x.elem("URI", g.uri)
		} else {
			x.elem("ID", g.id)
		}
		x.close("Grantee")
		x.elem("Permission", g.permission)
		x.close("Grant")
	}
	x.close("AccessControlList")
	x.close("AccessControlPolicy")
}

// aclPolicyXML is the request body of PutBucketAcl.
type aclPolicyXML struct {
	XMLName xml.Name `xml:"AccessControlPolicy"`
	Owner   struct {
		ID string `xml:"ID"`
	} `xml:"Owner"`
	Grants []struct {
		Grantee struct {
			Type         string `xml:"type,attr"`
			ID           string `xml:"ID"`
			URI          string `xml:"URI"`
			EmailAddress string `xml:"EmailAddress"`
		} `xml:"Grantee"`
		Permission string `xml:"Permission"`
	} `xml:"AccessControlList>Grant"`
}

// parseACLPolicy decodes an AccessControlPolicy body into grants; the error
// is an S3 error code and message.
func parseACLPolicy(body []byte) ([]s3Grant, *s3Error) {
	var p aclPolicyXML
	if err := xml.Unmarshal(body, &p); err != nil {
		return nil, errMalformedXML()
	}
	grants := make([]s3Grant, 0, len(p.Grants))
	for _, g := range p.Grants {
		if !validPermission(g.Permission) {
			return nil, errMalformedXML()
		}
		switch g.Grantee.Type {
		case "CanonicalUser":
			if g.Grantee.ID == "" {
				return nil, newS3Error(http.StatusBadRequest, "InvalidArgument", "Invalid id")
			}
			grants = append(grants, userGrant(g.Grantee.ID, g.Permission))
		case "Group":
			switch g.Grantee.URI {
			case groupAllUsers, groupAuthenticatedUsers, groupLogDelivery:
			default:
				return nil, newS3Error(http.StatusBadRequest, "InvalidArgument", "Invalid group uri")
			}
			grants = append(grants, groupGrant(g.Grantee.URI, g.Permission))
		case "AmazonCustomerByEmail":
			return nil, newS3Error(http.StatusMethodNotAllowed, "MethodNotAllowed",
				"Email grantees are no longer supported")
		default:
			return nil, errMalformedXML()
		}
	}
	return grants, nil
}

// grantHeaders are the explicit-grant request headers and their permissions.
var grantHeaders = []struct{ header, permission string }{
	{"X-Amz-Grant-Full-Control", permFullControl},
	{"X-Amz-Grant-Read", permRead},
	{"X-Amz-Grant-Read-Acp", permReadACP},
	{"X-Amz-Grant-Write", permWrite},
	{"X-Amz-Grant-Write-Acp", permWriteACP},
}

// parseGrantHeaders decodes x-amz-grant-* headers (`id="..."`, `uri="..."`,
// comma separated). found is false when none was sent.
func parseGrantHeaders(h http.Header) (grants []s3Grant, found bool, serr *s3Error) {
	for _, gh := range grantHeaders {
		v := h.Get(gh.header)
		if v == "" {
			continue
		}
		found = true
		for _, part := range strings.Split(v, ",") {
			kind, val, ok := strings.Cut(strings.TrimSpace(part), "=")
			val = strings.Trim(strings.TrimSpace(val), `"`)
			if !ok || val == "" {
				return nil, true, newS3Error(http.StatusBadRequest, "InvalidArgument", "Invalid grant header: "+gh.header)
			}
			switch strings.ToLower(strings.TrimSpace(kind)) {
			case "id":
				grants = append(grants, userGrant(val, gh.permission))
			case "uri":
				grants = append(grants, groupGrant(val, gh.permission))
			default:
				return nil, true, newS3Error(http.StatusBadRequest, "InvalidArgument", "Unsupported grantee in "+gh.header)
			}
		}
	}
	return grants, found, nil
}

// onlyOwnerFullControl reports whether grants give nothing beyond FULL_CONTROL
// to owner: the only ACL a BucketOwnerEnforced bucket accepts.
func onlyOwnerFullControl(grants []s3Grant, owner string) bool {
	for _, g := range grants {
		if g.granteeType != "CanonicalUser" || g.id != owner || g.permission != permFullControl {
			return false
		}
	}
	return true
}

// withoutOwnerFullControl drops the owner's FULL_CONTROL grant, which every
// bucket ACL has implicitly.
func withoutOwnerFullControl(grants []s3Grant, owner string) []s3Grant {
	out := grants[:0:0]
	for _, g := range grants {
		if g.granteeType == "CanonicalUser" && g.id == owner && g.permission == permFullControl {
			continue
		}
		out = append(out, g)
	}
	return out
}
