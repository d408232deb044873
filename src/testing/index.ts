/**
 * Test helpers for people who build on tokenward: the TokenStore conformance kit.
 *
 * @packageDocumentation
 */
export { type ConformanceOptions, runTokenStoreConformance } from './store-conformance.js'
