// Command psa-check evaluates pods against the Pod Security Standards the way the API server's
// built-in Pod Security admission does: the namespace's `pod-security.kubernetes.io/enforce`
// labels are read with `api.PolicyToEvaluate` and the pod is checked by `policy.NewEvaluator`
// from k8s.io/pod-security-admission at the version pinned in go.mod (the target's Kubernetes
// minor). It is built and cached by `cargo xtask tools` and used by posture's tests only.
//
// Usage: psa-check FILE...   (YAML files, several documents each; Namespaces and Pods)
//
//	psa-check --version (prints the pod-security-admission module version it was built with)
//
// For every Pod it prints one JSON line:
// {"namespace":"ns","name":"pod","enforce":"restricted:v1.33","allowed":false,"reasons":["..."]}
// A pod whose namespace is not among the inputs is an error (exit 2): the verdict would
// depend on the cluster's defaults, which the test must not guess.
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"sort"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
)

type verdict struct {
	Namespace string   `json:"namespace"`
	Name      string   `json:"name"`
	Enforce   string   `json:"enforce"`
	Allowed   bool     `json:"allowed"`
	Reasons   []string `json:"reasons"`
}

type meta struct {
	Kind string `json:"kind"`
}

func main() {
	if len(os.Args) == 2 && os.Args[1] == "--version" {
		fmt.Println("psa-check", moduleVersion("k8s.io/pod-security-admission"))
		return
	}
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "psa-check:", err)
		os.Exit(2)
	}
}

func run(files []string, out io.Writer) error {
	if len(files) == 0 {
		return errors.New("usage: psa-check FILE...")
	}
	namespaces := map[string]map[string]string{}
	var pods []corev1.Pod
	for _, f := range files {
		r, err := os.Open(f)
		if err != nil {
			return err
		}
		dec := yaml.NewYAMLOrJSONDecoder(r, 4096)
		for {
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				if errors.Is(err, io.EOF) {
					break
				}
				r.Close()
				return fmt.Errorf("%s: %w", f, err)
			}
			if len(raw) == 0 || string(raw) == "null" {
				continue
			}
			var m meta
			if err := json.Unmarshal(raw, &m); err != nil {
				r.Close()
				return fmt.Errorf("%s: %w", f, err)
			}
			switch m.Kind {
			case "Namespace":
				var ns corev1.Namespace
				if err := json.Unmarshal(raw, &ns); err != nil {
					r.Close()
					return fmt.Errorf("%s: %w", f, err)
				}
				namespaces[ns.Name] = ns.Labels
			case "Pod":
				var pod corev1.Pod
				if err := json.Unmarshal(raw, &pod); err != nil {
					r.Close()
					return fmt.Errorf("%s: %w", f, err)
				}
				pods = append(pods, pod)
			}
		}
		r.Close()
	}
	evaluator, err := policy.NewEvaluator(policy.DefaultChecks())
	if err != nil {
		return err
	}
	// The API server's defaults when a namespace has no labels: privileged, latest.
	defaults := api.Policy{
		Enforce: api.LevelVersion{Level: api.LevelPrivileged, Version: api.LatestVersion()},
		Audit:   api.LevelVersion{Level: api.LevelPrivileged, Version: api.LatestVersion()},
		Warn:    api.LevelVersion{Level: api.LevelPrivileged, Version: api.LatestVersion()},
	}
	sort.SliceStable(pods, func(i, j int) bool {
		if pods[i].Namespace != pods[j].Namespace {
			return pods[i].Namespace < pods[j].Namespace
		}
		return pods[i].Name < pods[j].Name
	})
	enc := json.NewEncoder(out)
	for _, pod := range pods {
		labels, ok := namespaces[pod.Namespace]
		if !ok {
			return fmt.Errorf("pod %s/%s: namespace %q is not among the inputs", pod.Namespace, pod.Name, pod.Namespace)
		}
		pol, errs := api.PolicyToEvaluate(labels, defaults)
		if len(errs) > 0 {
			return fmt.Errorf("namespace %s: invalid Pod Security labels: %v", pod.Namespace, errs.ToAggregate())
		}
		res := policy.AggregateCheckResults(evaluator.EvaluatePod(pol.Enforce, &pod.ObjectMeta, &pod.Spec))
		reasons := res.ForbiddenReasons
		if reasons == nil {
			reasons = []string{}
		}
		if err := enc.Encode(verdict{
			Namespace: pod.Namespace,
			Name:      pod.Name,
			Enforce:   pol.Enforce.String(),
			Allowed:   res.Allowed,
			Reasons:   reasons,
		}); err != nil {
			return err
		}
	}
	return nil
}

// moduleVersion is the version of a dependency this binary was built with.
func moduleVersion(path string) string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	for _, d := range info.Deps {
		if d.Path == path {
			return d.Path + " " + d.Version
		}
	}
	return "unknown"
}
