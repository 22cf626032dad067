// Command ownerscan audits S3 Object Ownership across an AWS Organization:
// buckets where ACLs still decide who owns objects, and object versions
// owned by other accounts. See README.md.
package main

import (
	"context"
	"os"
)

func main() { os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr)) }
