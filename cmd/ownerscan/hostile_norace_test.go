//go:build !race

package main

// raceEnabled: see hostile_race_test.go.
const raceEnabled = false
