/**
 * A gRPC status's details for people: grpc-js ends connection failures with "Resolution note: "
 * and nothing after it when name resolution had nothing to say; that empty tail is dropped.
 */
export function grpcDetails(err: { details?: string; message: string }): string {
  const text = err.details || err.message;
  return text.replace(/\.?\s*Resolution note:\s*$/, '');
}
