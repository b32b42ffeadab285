/** The authenticated user a request acts for. */
export interface Viewer {
  id: string;
  roles: readonly string[];
}

/** The role that may read and write everything and sees every failure record. */
export const ADMIN_ROLE = 'admin';

export function isAdmin(viewer: Viewer): boolean {
  return viewer.roles.includes(ADMIN_ROLE);
}
