// The success envelope of SPEC.md §3, in one place.
export const success = <T>(data: T) => ({ data, status: 'success' as const })
export const page = <T>(data: T[], nextCursor: string | null) => ({
  data,
  status: 'success' as const,
  meta: { nextCursor },
})
