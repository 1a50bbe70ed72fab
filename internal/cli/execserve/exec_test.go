package execserve

import (
	"slices"
	"testing"
)

func TestChildEnv(t *testing.T) {
	environ := []string{"PATH=/bin", "AWS_PROFILE=dev", "aws_profile=lower", "AWS_ACCESS_KEY_ID=old", "AWS_CONFIG_FILE=/c", "AWS_REGION=eu-north-1", "SSO_CREDPROC_PROFILE=x", "NOVALUE"}
	got := childEnv(environ, false, "AWS_ACCESS_KEY_ID", "new", "AWS_REGION", "us-east-1")
	want := []string{"PATH=/bin", "aws_profile=lower", "AWS_CONFIG_FILE=/c", "NOVALUE", "AWS_ACCESS_KEY_ID=new", "AWS_REGION=us-east-1"}
	if !slices.Equal(got, want) {
		t.Errorf("childEnv = %q, want %q", got, want)
	}
	// Windows: names in any case are the same variable.
	got = childEnv(environ, true, "AWS_ACCESS_KEY_ID", "new")
	want = []string{"PATH=/bin", "AWS_CONFIG_FILE=/c", "AWS_REGION=eu-north-1", "NOVALUE", "AWS_ACCESS_KEY_ID=new"}
	if !slices.Equal(got, want) {
		t.Errorf("childEnv on Windows = %q, want %q", got, want)
	}
}
