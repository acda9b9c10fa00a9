// apiserver-check judges the files of posture's `apiserver/` target with the API server's own
// code (k8s.io/apiserver at the version of the target's Kubernetes):
//
//	apiserver-check version
//	apiserver-check encryption FILE      EncryptionConfiguration: strict decode with the API
//	                                     server's scheme, ValidateEncryptionConfiguration, and
//	                                     posture's own rule that identity is never first
//	apiserver-check authentication FILE  AuthenticationConfiguration: strict decode,
//	                                     ValidateAuthenticationConfiguration (with the CEL compiler)
//	apiserver-check audit FILE [REQ …]   audit Policy: strict decode, LoadPolicyFromFile, then the
//	                                     level of each sample request through the API server's
//	                                     policy evaluator; REQ is VERB:GROUP:RESOURCE:NAMESPACE
//	                                     (empty group = core), printed as `REQ LEVEL`
//	apiserver-check kubeconfig FILE      an audit webhook kubeconfig: client-go's loader and
//	                                     validation, and no credentials in any user
//
// Exit status: 0 accepted, 1 refused (the reasons on stderr), 2 usage.
package main

import (
	"fmt"
	"os"
	"strings"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	auditinternal "k8s.io/apiserver/pkg/apis/audit"
	auditinstall "k8s.io/apiserver/pkg/apis/audit/install"
	api "k8s.io/apiserver/pkg/apis/apiserver"
	"k8s.io/apiserver/pkg/apis/apiserver/install"
	"k8s.io/apiserver/pkg/apis/apiserver/validation"
	"k8s.io/apiserver/pkg/audit/policy"
	authenticationcel "k8s.io/apiserver/pkg/authentication/cel"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	"k8s.io/client-go/tools/clientcmd"
)

// The k8s.io/apiserver version this binary is built from (go.mod pins it).
const apiserverVersion = "v0.33.13"

var (
	scheme = runtime.NewScheme()
	codecs = serializer.NewCodecFactory(scheme, serializer.EnableStrict)
)

func init() {
	install.Install(scheme)
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
	os.Exit(1)
}

// decode reads FILE strictly (unknown or duplicate fields are errors) with the API server's
// scheme and converts it to the internal type.
func decode(file string) runtime.Object {
	data, err := os.ReadFile(file)
	if err != nil {
		fail("%v", err)
	}
	obj, err := runtime.Decode(codecs.UniversalDecoder(), data)
	if err != nil {
		fail("%s: %v", file, err)
	}
	return obj
}

func encryption(file string) {
	cfg, ok := decode(file).(*api.EncryptionConfiguration)
	if !ok {
		fail("%s: not an EncryptionConfiguration", file)
	}
	errs := validation.ValidateEncryptionConfiguration(cfg, false)
	// posture's rule, beyond the API server's: the first provider encrypts new writes, so
	// identity (no encryption) first stores new data in plaintext.
	identityFirst := false
	for i, r := range cfg.Resources {
		if len(r.Providers) > 0 && r.Providers[0].Identity != nil {
			fmt.Fprintf(os.Stderr, "%s: resources[%d].providers[0]: identity is first: new writes of %v are stored in plaintext\n", file, i, r.Resources)
			identityFirst = true
		}
	}
	if len(errs) > 0 {
		fail("%s: %v", file, errs.ToAggregate())
	}
	if identityFirst {
		os.Exit(1)
	}
	fmt.Printf("%s: EncryptionConfiguration valid (%d resource groups)\n", file, len(cfg.Resources))
}

func authentication(file string) {
	cfg, ok := decode(file).(*api.AuthenticationConfiguration)
	if !ok {
		fail("%s: not an AuthenticationConfiguration", file)
	}
	errs := validation.ValidateAuthenticationConfiguration(authenticationcel.NewDefaultCompiler(), cfg, nil)
	if len(errs) > 0 {
		fail("%s: %v", file, errs.ToAggregate())
	}
	fmt.Printf("%s: AuthenticationConfiguration valid (%d JWT authenticators)\n", file, len(cfg.JWT))
}

func audit(file string, requests []string) {
	data, err := os.ReadFile(file)
	if err != nil {
		fail("%v", err)
	}
	// LoadPolicyFromFile falls back to a lenient decode (with a warning) on unknown fields:
	// decode strictly first so that a misspelt field is refused.
	auditScheme := runtime.NewScheme()
	auditinstall.Install(auditScheme)
	strict := serializer.NewCodecFactory(auditScheme, serializer.EnableStrict).UniversalDecoder()
	if _, _, err := strict.Decode(data, nil, &auditinternal.Policy{}); err != nil {
		fail("%s: %v", file, err)
	}
	p, err := policy.LoadPolicyFromFile(file)
	if err != nil {
		fail("%v", err)
	}
	eval := policy.NewPolicyRuleEvaluator(p)
	for _, req := range requests {
		parts := strings.Split(req, ":")
		if len(parts) != 4 {
			fmt.Fprintf(os.Stderr, "request %q: want VERB:GROUP:RESOURCE:NAMESPACE\n", req)
			os.Exit(2)
		}
		attrs := authorizer.AttributesRecord{
			User:            &user.DefaultInfo{Name: "posture-sample", Groups: []string{"system:authenticated"}},
			Verb:            parts[0],
			APIGroup:        parts[1],
			Resource:        parts[2],
			Namespace:       parts[3],
			ResourceRequest: true,
		}
		rc := eval.EvaluatePolicyRule(attrs)
		fmt.Printf("%s %s\n", req, rc.Level)
	}
	fmt.Fprintf(os.Stderr, "%s: audit Policy valid (%d rules)\n", file, len(p.Rules))
}

func kubeconfig(file string) {
	cfg, err := clientcmd.LoadFromFile(file)
	if err != nil {
		fail("%s: %v", file, err)
	}
	if err := clientcmd.Validate(*cfg); err != nil {
		fail("%s: %v", file, err)
	}
	for name, a := range cfg.AuthInfos {
		if a.Token != "" || a.TokenFile != "" || a.Password != "" || a.Username != "" ||
			len(a.ClientKeyData) > 0 || a.ClientKey != "" || a.Exec != nil || a.AuthProvider != nil {
			fail("%s: user %q carries credentials", file, name)
		}
	}
	fmt.Printf("%s: kubeconfig valid, no credentials (%d clusters)\n", file, len(cfg.Clusters))
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: apiserver-check version | encryption FILE | authentication FILE | audit FILE [REQ …] | kubeconfig FILE")
		os.Exit(2)
	}
	args := os.Args[2:]
	need := func(n int) {
		if len(args) < n {
			fmt.Fprintf(os.Stderr, "%s: missing FILE\n", os.Args[1])
			os.Exit(2)
		}
	}
	switch os.Args[1] {
	case "version":
		fmt.Printf("apiserver-check k8s.io/apiserver %s\n", apiserverVersion)
	case "encryption":
		need(1)
		encryption(args[0])
	case "authentication":
		need(1)
		authentication(args[0])
	case "audit":
		need(1)
		audit(args[0], args[1:])
	case "kubeconfig":
		need(1)
		kubeconfig(args[0])
	default:
		fmt.Fprintf(os.Stderr, "unknown command %q\n", os.Args[1])
		os.Exit(2)
	}
}
