package main

import (
	"fmt"
	"math"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/ownerscan/ownerscan/report"
)

// configKey is one key of the configuration file: either a mapping of
// further keys (children) or a value decoded by decode. The schema is the
// single list of keys: the parser, the strictness check, the "did you mean"
// hint and the test that config.example.yaml documents every key all read it.
type configKey struct {
	name     string
	children []configKey
	decode   func(c *Config, n *yaml.Node, key string) error
}

// configSchema lists every key of the configuration file (README
// "Configuration", config.example.yaml).
var configSchema = []configKey{
	{name: "organization_role_arn", decode: stringValue(func(c *Config) *string { return &c.OrganizationRoleARN })},
	{name: "member_role_name", decode: stringValue(func(c *Config) *string { return &c.MemberRoleName })},
	{name: "external_id", decode: stringValue(func(c *Config) *string { return &c.ExternalID })},
	{name: "session_name", decode: stringValue(func(c *Config) *string { return &c.SessionName })},
	{name: "partition", decode: stringValue(func(c *Config) *string { return &c.Partition })},
	{name: "regions", decode: stringList(func(c *Config) *[]string { return &c.Regions })},
	{name: "accounts", children: []configKey{
		{name: "include", decode: stringList(func(c *Config) *[]string { return &c.AccountsInclude })},
		{name: "exclude", decode: stringList(func(c *Config) *[]string { return &c.AccountsExclude })},
	}},
	{name: "include_management_account", decode: boolValue(func(c *Config) *bool { return &c.IncludeManagementAccount })},
	{name: "buckets", children: []configKey{
		{name: "include", decode: stringList(func(c *Config) *[]string { return &c.BucketsInclude })},
		{name: "exclude", decode: stringList(func(c *Config) *[]string { return &c.BucketsExclude })},
	}},
	{name: "objects", children: []configKey{
		{name: "mode", decode: stringValue(func(c *Config) *string { return &c.ObjectsMode })},
		{name: "max_per_bucket", decode: intValue(func(c *Config, v int64) { c.ObjectsMaxPerBucket = v })},
	}},
	{name: "readiness", children: []configKey{
		{name: "enabled", decode: boolValue(func(c *Config) *bool { return &c.Readiness.Enabled })},
		{name: "object_acl_sample", decode: intValue(func(c *Config, v int64) { c.Readiness.ObjectACLSample = clampInt(v) })},
	}},
	{name: "concurrency", decode: intValue(func(c *Config, v int64) { c.Concurrency = clampInt(v) })},
	{name: "rate_limits", children: []configKey{
		{name: "organizations", decode: rateValue(func(c *Config) *float64 { return &c.RateLimits.Organizations })},
		{name: "sts", decode: rateValue(func(c *Config) *float64 { return &c.RateLimits.STS })},
		{name: "s3", decode: rateValue(func(c *Config) *float64 { return &c.RateLimits.S3 })},
	}},
	{name: "output", children: []configKey{
		{name: "dir", decode: stringValue(func(c *Config) *string { return &c.OutputDir })},
		{name: "formats", decode: formatList},
		{name: "s3", children: []configKey{
			{name: "expected_bucket_owner", decode: stringValue(func(c *Config) *string { return &c.OutputS3ExpectedBucketOwner })},
			{name: "kms_key_id", decode: stringValue(func(c *Config) *string { return &c.OutputS3KMSKeyID })},
		}},
	}},
	{name: "baseline", decode: stringValue(func(c *Config) *string { return &c.Baseline })},
	{name: "remediation_role_name", decode: stringValue(func(c *Config) *string { return &c.RemediationRoleName })},
}

// decodeMapping decodes a mapping node against keys. prefix is the key path
// of the mapping ("" at the top level, "accounts." below).
func decodeMapping(c *Config, n *yaml.Node, prefix string, keys []configKey) error {
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		kn, vn := resolveAlias(n.Content[i]), resolveAlias(n.Content[i+1])
		if kn.Kind != yaml.ScalarNode {
			return &configError{at: origin{line: kn.Line}, key: strings.TrimSuffix(prefix, "."), msg: "keys must be plain names, got " + describeNode(kn)}
		}
		name := kn.Value
		path := prefix + name
		if first, dup := seen[name]; dup {
			return &configError{at: origin{line: kn.Line}, key: path, msg: fmt.Sprintf("duplicate key (first set on line %d)", first)}
		}
		seen[name] = kn.Line
		spec, ok := lookupKey(keys, name)
		if !ok {
			return &configError{at: origin{line: kn.Line}, key: path, msg: unknownKeyMessage(name, keys)}
		}
		if isNull(vn) {
			continue // "key:" with no value keeps the default
		}
		c.setOrigin(path, origin{line: kn.Line})
		if spec.children != nil {
			if vn.Kind != yaml.MappingNode {
				return &configError{at: origin{line: vn.Line}, key: path, msg: "must be a mapping of " + keyNames(spec.children) + ", got " + describeNode(vn)}
			}
			if err := decodeMapping(c, vn, path+".", spec.children); err != nil {
				return err
			}
			continue
		}
		if err := spec.decode(c, vn, path); err != nil {
			return err
		}
	}
	return nil
}

func lookupKey(keys []configKey, name string) (configKey, bool) {
	for _, k := range keys {
		if k.name == name {
			return k, true
		}
	}
	return configKey{}, false
}

func keyNames(keys []configKey) string {
	names := make([]string, len(keys))
	for i, k := range keys {
		names[i] = k.name
	}
	return strings.Join(names, ", ")
}

// unknownKeyMessage names the closest known key when there is one within two
// edits, else lists the known keys.
func unknownKeyMessage(name string, keys []configKey) string {
	best, bestDist := "", 3
	for _, k := range keys {
		if d := editDistance(strings.ToLower(name), k.name); d < bestDist {
			best, bestDist = k.name, d
		}
	}
	if best != "" {
		return fmt.Sprintf("unknown key (did you mean %q?)", best)
	}
	return "unknown key (known here: " + keyNames(keys) + ")"
}

// editDistance is the Levenshtein distance of two short strings.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 64 // not worth comparing: no key is that long
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// resolveAlias follows YAML aliases (*name) to the node they stand for.
func resolveAlias(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// describeNode names what a node is, for messages: `a list`, `the string "x"`.
func describeNode(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		v := n.Value
		if len(v) > 40 {
			v = v[:40] + "..."
		}
		switch n.ShortTag() {
		case "!!null":
			return "nothing"
		case "!!bool":
			return "the boolean " + v
		case "!!int":
			return "the integer " + v
		case "!!float":
			return "the number " + v
		case "!!str":
			return fmt.Sprintf("the string %q", v)
		}
		return fmt.Sprintf("the %s value %q", n.ShortTag(), v)
	}
	return "an unexpected YAML node"
}

// scalarText returns the text of a scalar that stands for a string. Numbers
// are taken as written (an unquoted account ID is a string of digits, and
// 012345678901 keeps its leading zero); booleans, nulls and custom tags are
// refused.
func scalarText(n *yaml.Node, key string) (string, error) {
	if n.Kind != yaml.ScalarNode {
		return "", &configError{at: origin{line: n.Line}, key: key, msg: "must be a string, got " + describeNode(n)}
	}
	switch n.ShortTag() {
	case "!!str", "!!int", "!!float", "!!timestamp":
		return n.Value, nil
	}
	return "", &configError{at: origin{line: n.Line}, key: key, msg: "must be a string, got " + describeNode(n)}
}

func stringValue(field func(*Config) *string) func(*Config, *yaml.Node, string) error {
	return func(c *Config, n *yaml.Node, key string) error {
		s, err := scalarText(n, key)
		if err != nil {
			return err
		}
		*field(c) = s
		return nil
	}
}

func stringList(field func(*Config) *[]string) func(*Config, *yaml.Node, string) error {
	return func(c *Config, n *yaml.Node, key string) error {
		if n.Kind != yaml.SequenceNode {
			return &configError{at: origin{line: n.Line}, key: key, msg: "must be a list, got " + describeNode(n)}
		}
		list := make([]string, 0, len(n.Content))
		for i, item := range n.Content {
			item = resolveAlias(item)
			ikey := fmt.Sprintf("%s[%d]", key, i)
			if isNull(item) {
				return &configError{at: origin{line: item.Line}, key: ikey, msg: "empty entry"}
			}
			s, err := scalarText(item, ikey)
			if err != nil {
				return err
			}
			c.setOrigin(ikey, origin{line: item.Line})
			list = append(list, s)
		}
		*field(c) = list
		return nil
	}
}

func boolValue(field func(*Config) *bool) func(*Config, *yaml.Node, string) error {
	return func(c *Config, n *yaml.Node, key string) error {
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" {
			return &configError{at: origin{line: n.Line}, key: key, msg: "must be true or false, got " + describeNode(n)}
		}
		var b bool
		if err := n.Decode(&b); err != nil {
			return &configError{at: origin{line: n.Line}, key: key, msg: "must be true or false, got " + describeNode(n)}
		}
		*field(c) = b
		return nil
	}
}

func intValue(set func(*Config, int64)) func(*Config, *yaml.Node, string) error {
	return func(c *Config, n *yaml.Node, key string) error {
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" {
			return &configError{at: origin{line: n.Line}, key: key, msg: "must be a whole number, got " + describeNode(n)}
		}
		var v int64
		if err := n.Decode(&v); err != nil {
			return &configError{at: origin{line: n.Line}, key: key, msg: fmt.Sprintf("%s is out of range", n.Value)}
		}
		set(c, v)
		return nil
	}
}

// rateValue decodes a rate in requests per second: a whole or decimal
// number (10, 2.5). Validate checks its range.
func rateValue(field func(*Config) *float64) func(*Config, *yaml.Node, string) error {
	return func(c *Config, n *yaml.Node, key string) error {
		tag := n.ShortTag()
		if n.Kind != yaml.ScalarNode || (tag != "!!int" && tag != "!!float") {
			return &configError{at: origin{line: n.Line}, key: key, msg: "must be a number of requests per second, got " + describeNode(n)}
		}
		var v float64
		if err := n.Decode(&v); err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return &configError{at: origin{line: n.Line}, key: key, msg: fmt.Sprintf("%s is not a usable number", n.Value)}
		}
		*field(c) = v
		return nil
	}
}

// clampInt converts to int without wrapping on 32-bit platforms, so that
// Validate reports an out-of-range value rather than a wrapped one.
func clampInt(v int64) int {
	const maxInt = int64(^uint(0) >> 1)
	switch {
	case v > maxInt:
		return int(maxInt)
	case v < -maxInt-1:
		return int(-maxInt - 1)
	}
	return int(v)
}

// formatList decodes output.formats: a list of format names, or one string
// such as "csv,json" as --format takes it.
func formatList(c *Config, n *yaml.Node, key string) error {
	var names []string
	switch n.Kind {
	case yaml.SequenceNode:
		for i, item := range n.Content {
			item = resolveAlias(item)
			ikey := fmt.Sprintf("%s[%d]", key, i)
			s, err := scalarText(item, ikey)
			if err != nil {
				return err
			}
			c.setOrigin(ikey, origin{line: item.Line})
			names = append(names, s)
		}
	case yaml.ScalarNode:
		s, err := scalarText(n, key)
		if err != nil {
			return err
		}
		names = strings.Split(s, ",")
	default:
		return &configError{at: origin{line: n.Line}, key: key, msg: "must be a list of formats, got " + describeNode(n)}
	}
	formats := make([]report.Format, 0, len(names))
	for _, name := range names {
		formats = append(formats, report.Format(strings.TrimSpace(name)))
	}
	c.OutputFormats = formats
	return nil
}
