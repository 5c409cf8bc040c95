package vippsspec

// Patches exposes the patches to the tests, which re-apply them.
var Patches = patches
