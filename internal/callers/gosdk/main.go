// Command gosdk is a test-only caller: it reads credentials the way a Go
// program on the AWS SDK for Go v2 does and prints them as one JSON line.
//
//	gosdk -profile NAME
//	    config.LoadDefaultConfig with WithSharedConfigProfile, then
//	    Credentials.Retrieve: the profile's credential_process runs as the
//	    SDK runs it (sh -c, killed after a minute).
//	gosdk
//	    config.LoadDefaultConfig with no profile: the default chain, e.g.
//	    the container endpoint of AWS_CONTAINER_CREDENTIALS_FULL_URI.
//	gosdk -process COMMAND -timeout D
//	    processcreds.NewProvider(COMMAND) with a ProcessProvider timeout of D.
//
// On failure it prints the error on stderr and exits 1; either way it
// prints how long the SDK took on stderr as "elapsed: D".
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/processcreds"
)

func main() {
	profile := flag.String("profile", "", "shared config `profile` to load")
	process := flag.String("process", "", "credential_process `command` for a ProcessProvider")
	timeout := flag.Duration("timeout", processcreds.DefaultTimeout, "the ProcessProvider's timeout")
	flag.Parse()

	ctx := context.Background()
	start := time.Now()
	var provider aws.CredentialsProvider
	if *process != "" {
		provider = processcreds.NewProvider(*process, func(o *processcreds.Options) { o.Timeout = *timeout })
	} else {
		var opts []func(*config.LoadOptions) error
		if *profile != "" {
			opts = append(opts, config.WithSharedConfigProfile(*profile))
		}
		cfg, err := config.LoadDefaultConfig(ctx, opts...)
		if err != nil {
			fail(start, err)
		}
		provider = cfg.Credentials
	}
	c, err := provider.Retrieve(ctx)
	if err != nil {
		fail(start, err)
	}
	fmt.Fprintf(os.Stderr, "elapsed: %s\n", time.Since(start))
	json.NewEncoder(os.Stdout).Encode(map[string]any{
		"AccessKeyId":     c.AccessKeyID,
		"SecretAccessKey": c.SecretAccessKey,
		"SessionToken":    c.SessionToken,
		"Expiration":      c.Expires.UTC().Format(time.RFC3339),
		"AccountId":       c.AccountID,
		"Source":          c.Source,
	})
}

func fail(start time.Time, err error) {
	fmt.Fprintf(os.Stderr, "elapsed: %s\ngosdk: %v\n", time.Since(start), err)
	os.Exit(1)
}
