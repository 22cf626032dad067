package fakeaws

import (
	_ "embed"
	"fmt"
)

//go:embed builtin.yaml
var builtinYAML []byte

// BuiltinScenarioYAML is the text of the demo organization, for users who
// want to copy and edit it.
func BuiltinScenarioYAML() []byte { return append([]byte(nil), builtinYAML...) }

// BuiltinScenario returns a fresh copy of the demo organization that
// `ownerscan demo` scans: AccountA (111111111111, management), AccountB
// (222222222222) owning our-shared-widgets with objects written by AccountC
// (333333333333), and one example of every other case (see builtin.yaml).
// It panics only if the embedded file is invalid, which a test rules out.
func BuiltinScenario() *Scenario {
	sc, err := ParseScenario(builtinYAML)
	if err != nil {
		panic(fmt.Sprintf("fakeaws: embedded builtin.yaml is invalid: %v", err))
	}
	return sc
}
