package fakeaws

import (
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// AdminUserName is the IAM user that holds each account's long-term key.
const AdminUserName = "fakeaws-admin"

// principal is who an access key belongs to.
type principal struct {
	AccessKeyID string
	Secret      string
	AccountID   string
	ARN         string
	UserID      string // GetCallerIdentity UserId: AIDA... or AROA...:<session>

	// Perms are the actions the principal's policies allow; nil allows
	// every action (an account's administrator, a role without
	// permissions).
	Perms *permissions

	// Set for AssumeRole sessions only.
	SessionToken string
	Expires      time.Time
	RoleName     string
	SessionName  string
}

// isSession reports whether the key is a temporary AssumeRole key.
func (p *principal) isSession() bool { return p.SessionToken != "" }

// identities maps access keys to principals: one long-term AKIA key per
// account's administrator and per scenario user (derived from the account
// ID and user name, so they are stable across runs), plus ASIA session
// keys minted by AssumeRole. Safe for concurrent use.
type identities struct {
	partition string
	longTerm  map[string]*principal // by access key; immutable after newIdentities
	byAcct    map[string]*principal // the administrator's principal by account ID
	byUser    map[string]*principal // a scenario user's principal by "<account>/<name>"

	mu       sync.RWMutex
	sessions map[string]*principal
	minted   atomic.Uint64
}

var keyEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

func digest(parts ...string) [32]byte {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// longTermKeyFor returns the AKIA key and secret of an account.
func longTermKeyFor(accountID string) (keyID, secret string) {
	k := digest("fakeaws access key", accountID)
	s := digest("fakeaws secret key", accountID)
	return "AKIA" + keyEncoding.EncodeToString(k[:])[:16], base64.StdEncoding.EncodeToString(s[:])[:40]
}

// userKeyFor returns the AKIA key and secret of a scenario user.
func userKeyFor(accountID, name string) (keyID, secret string) {
	k := digest("fakeaws access key", accountID, "user", name)
	s := digest("fakeaws secret key", accountID, "user", name)
	return "AKIA" + keyEncoding.EncodeToString(k[:])[:16], base64.StdEncoding.EncodeToString(s[:])[:40]
}

func newIdentities(accounts []AccountSpec, partition string) *identities {
	ids := &identities{
		partition: partition,
		longTerm:  make(map[string]*principal, len(accounts)),
		byAcct:    make(map[string]*principal, len(accounts)),
		byUser:    map[string]*principal{},
		sessions:  map[string]*principal{},
	}
	for _, a := range accounts {
		keyID, secret := longTermKeyFor(a.ID)
		uid := digest("fakeaws user id", a.ID)
		p := &principal{
			AccessKeyID: keyID,
			Secret:      secret,
			AccountID:   a.ID,
			ARN:         "arn:" + partition + ":iam::" + a.ID + ":user/" + AdminUserName,
			UserID:      "AIDA" + keyEncoding.EncodeToString(uid[:])[:17],
		}
		ids.longTerm[keyID] = p
		ids.byAcct[a.ID] = p
		for _, u := range a.Users {
			keyID, secret := userKeyFor(a.ID, u.Name)
			uid := digest("fakeaws user id", a.ID, u.Name)
			p := &principal{
				AccessKeyID: keyID,
				Secret:      secret,
				AccountID:   a.ID,
				ARN:         "arn:" + partition + ":iam::" + a.ID + ":user/" + u.Name,
				UserID:      "AIDA" + keyEncoding.EncodeToString(uid[:])[:17],
				Perms:       newPermissions(u.Permissions),
			}
			ids.longTerm[keyID] = p
			ids.byUser[a.ID+"/"+u.Name] = p
		}
	}
	return ids
}

// lookup returns the principal of an access key.
func (ids *identities) lookup(accessKeyID string) (*principal, bool) {
	if p, ok := ids.longTerm[accessKeyID]; ok {
		return p, true
	}
	ids.mu.RLock()
	p, ok := ids.sessions[accessKeyID]
	ids.mu.RUnlock()
	return p, ok
}

// account returns the long-term principal of an account.
func (ids *identities) account(accountID string) (*principal, bool) {
	p, ok := ids.byAcct[accountID]
	return p, ok
}

// user returns the long-term principal of a scenario user.
func (ids *identities) user(accountID, name string) (*principal, bool) {
	p, ok := ids.byUser[accountID+"/"+name]
	return p, ok
}

// mint creates an AssumeRole session bound to the role's account, holding
// the role's permissions (nil: every action).
func (ids *identities) mint(accountID, roleName, sessionName string, expires time.Time, perms *permissions) *principal {
	n := strconv.FormatUint(ids.minted.Add(1), 10)
	k := digest("fakeaws session key", n, accountID, roleName, sessionName)
	s := digest("fakeaws session secret", n)
	t := digest("fakeaws session token", n, accountID)
	rid := digest("fakeaws role id", accountID, roleName)
	roleID := "AROA" + keyEncoding.EncodeToString(rid[:])[:17]
	p := &principal{
		AccessKeyID:  "ASIA" + keyEncoding.EncodeToString(k[:])[:16],
		Secret:       base64.StdEncoding.EncodeToString(s[:])[:40],
		AccountID:    accountID,
		ARN:          fmt.Sprintf("arn:%s:sts::%s:assumed-role/%s/%s", ids.partition, accountID, roleName, sessionName),
		UserID:       roleID + ":" + sessionName,
		SessionToken: "FwoGZXIvYXdzE" + base64.StdEncoding.EncodeToString(append(t[:], k[:]...)),
		Expires:      expires,
		RoleName:     roleName,
		SessionName:  sessionName,
		Perms:        perms,
	}
	ids.mu.Lock()
	ids.sessions[p.AccessKeyID] = p
	ids.mu.Unlock()
	return p
}
