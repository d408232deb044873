// Filled in by its issue; the build must produce every entry point.
export {}
