/** Text into HTML (element content or a double- or single-quoted attribute): etcd keys can hold anything. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
