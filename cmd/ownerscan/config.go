package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/ownerscan/ownerscan/report"
	"github.com/ownerscan/ownerscan/scanner"
)

// maxConfigBytes bounds the configuration file: a real one is a few
// kilobytes; anything this large is a mistake (or an attack on the parser).
const maxConfigBytes = 1 << 20

// Config is the configuration file (config.example.yaml documents every key)
// after flags have been applied. Its zero value is not useful: start from
// defaultConfig or loadConfig.
type Config struct {
	OrganizationRoleARN      string
	MemberRoleName           string
	ExternalID               string
	SessionName              string
	Partition                string
	Regions                  []string
	AccountsInclude          []string
	AccountsExclude          []string
	IncludeManagementAccount bool
	BucketsInclude           []string
	BucketsExclude           []string
	ObjectsMode              string
	ObjectsMaxPerBucket      int64
	Concurrency              int
	RateLimits               scanner.RateLimits
	OutputDir                string
	OutputFormats            []report.Format
	Baseline                 string                   // REPORT to compare each scan with
	Readiness                scanner.ReadinessOptions // readiness.*
	// Reports in S3 (output.s3): the account that must own the bucket
	// ("" the caller's) and the KMS key to encrypt with ("" the
	// bucket's default encryption).
	OutputS3ExpectedBucketOwner string
	OutputS3KMSKeyID            string

	// origin says where each key path ("objects.mode", "regions[2]") got
	// its value, so that Validate can name the file line or the flag.
	origin map[string]origin
}

// origin is where a configuration value came from: a line of the file, a
// flag, or (zero value) the default.
type origin struct {
	line int    // line in the configuration file, 0 if not from the file
	flag string // flag name such as "--out", "" if not from a flag
}

// defaultConfig is the configuration of an empty file.
func defaultConfig() *Config {
	o := scanner.DefaultOptions()
	formats := make([]report.Format, len(report.Formats))
	for i, f := range report.Formats {
		formats[i] = f.Name
	}
	return &Config{
		MemberRoleName:           o.MemberRoleName,
		SessionName:              o.SessionName,
		Partition:                o.Partition,
		IncludeManagementAccount: o.IncludeManagementAccount,
		ObjectsMode:              o.ObjectsMode,
		ObjectsMaxPerBucket:      o.MaxObjectsPerBucket,
		Concurrency:              o.Concurrency,
		RateLimits:               o.RateLimits,
		OutputFormats:            formats,
		Readiness:                o.Readiness,
		origin:                   map[string]origin{},
	}
}

// configError is a problem with one configuration value. Its text is one
// line naming where the value came from and the key:
// `config: line 7: accounts.include[2]: "12345" is not ...`.
type configError struct {
	at  origin
	key string
	msg string
}

func (e *configError) Error() string {
	switch {
	case e.at.flag != "":
		return fmt.Sprintf("%s: %s", e.at.flag, e.msg)
	case e.at.line > 0 && e.key != "":
		return fmt.Sprintf("config: line %d: %s: %s", e.at.line, e.key, e.msg)
	case e.at.line > 0:
		return fmt.Sprintf("config: line %d: %s", e.at.line, e.msg)
	case e.key != "":
		return fmt.Sprintf("config: %s: %s", e.key, e.msg)
	}
	return "config: " + e.msg
}

// loadConfig reads and parses the configuration file at path. It checks
// the shape and types of every key; call Validate, after applying flags,
// for the values. A file that does not end (a named pipe, /dev/stdin) is
// read until a signal; the error then wraps errStoppedEarly. Every other
// error is a usage error.
func (a *app) loadConfig(ctx context.Context, path string) (*Config, error) {
	data, err := a.readInput(ctx, "--config "+path, path, maxConfigBytes)
	switch {
	case errors.Is(err, errStoppedEarly):
		return nil, err
	case errors.Is(err, errInputTooLarge):
		return nil, &usageError{&configError{msg: fmt.Sprintf("%s is larger than %d bytes", path, maxConfigBytes)}}
	case err != nil:
		return nil, &usageError{&configError{msg: fmt.Sprintf("cannot read %s: %v", path, unwrapPathError(err))}}
	}
	cfg, err := parseConfig(data)
	if err != nil {
		return nil, &usageError{err}
	}
	return cfg, nil
}

func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// yamlLineError matches the position the YAML parser puts in its syntax errors.
var yamlLineError = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// parseConfig parses a configuration document strictly: one YAML document
// whose top level is a mapping of the known keys, each of its type.
func parseConfig(data []byte) (*Config, error) {
	cfg := defaultConfig()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return cfg, nil // an empty file: every default
		}
		return nil, yamlSyntaxError(err)
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case errors.Is(err, io.EOF):
	case err != nil:
		return nil, yamlSyntaxError(err)
	default:
		return nil, &configError{at: origin{line: extra.Line}, msg: "a second YAML document; the configuration is one document"}
	}
	root := &doc
	if root.Kind == yaml.DocumentNode {
		if len(root.Content) == 0 {
			return cfg, nil
		}
		root = root.Content[0]
	}
	root = resolveAlias(root)
	if root.Kind == yaml.ScalarNode && root.ShortTag() == "!!null" {
		return cfg, nil
	}
	if root.Kind != yaml.MappingNode {
		return nil, &configError{at: origin{line: root.Line}, msg: "the top level must be a mapping of keys, got " + describeNode(root)}
	}
	if err := decodeMapping(cfg, root, "", configSchema); err != nil {
		return nil, err
	}
	return cfg, nil
}

func yamlSyntaxError(err error) error {
	msg := strings.ReplaceAll(err.Error(), "\n", " ")
	if m := yamlLineError.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return &configError{at: origin{line: line}, msg: "invalid YAML: " + m[2]}
	}
	return &configError{msg: "invalid YAML: " + strings.TrimPrefix(msg, "yaml: ")}
}

// setOrigin records where key got its value.
func (c *Config) setOrigin(key string, at origin) {
	if c.origin == nil {
		c.origin = map[string]origin{}
	}
	c.origin[key] = at
}

// setListOrigin records where a whole list got its value, forgetting the
// origins of the elements it replaced.
func (c *Config) setListOrigin(key string, at origin) {
	for k := range c.origin {
		if strings.HasPrefix(k, key+"[") {
			delete(c.origin, k)
		}
	}
	c.setOrigin(key, at)
}

// errAt builds the error for key, naming where its value came from. For a
// list element ("regions[2]") without an origin of its own, the list's
// origin is used.
func (c *Config) errAt(key, format string, args ...any) error {
	at, ok := c.origin[key]
	if !ok {
		if i := strings.IndexByte(key, '['); i > 0 {
			at = c.origin[key[:i]]
		}
	}
	return &configError{at: at, key: key, msg: fmt.Sprintf(format, args...)}
}

// Options converts the configuration into the scanner's options.
func (c *Config) Options() scanner.Options {
	return scanner.Options{
		OrganizationRoleARN:      c.OrganizationRoleARN,
		MemberRoleName:           c.MemberRoleName,
		ExternalID:               c.ExternalID,
		SessionName:              c.SessionName,
		Partition:                c.Partition,
		Regions:                  c.Regions,
		AccountsInclude:          c.AccountsInclude,
		AccountsExclude:          c.AccountsExclude,
		IncludeManagementAccount: c.IncludeManagementAccount,
		BucketsInclude:           c.BucketsInclude,
		BucketsExclude:           c.BucketsExclude,
		ObjectsMode:              c.ObjectsMode,
		MaxObjectsPerBucket:      c.ObjectsMaxPerBucket,
		Concurrency:              c.Concurrency,
		RateLimits:               c.RateLimits,
		Readiness:                c.Readiness,
	}
}
