import type { Knex } from 'knex';
import { User } from '../db/models';

export interface UserView {
  id: string;
  email: string;
  name: string;
  /** When the person proved they own the email address; null until then. */
  emailVerifiedAt: Date | null;
  createdAt: Date;
}

export const toUserView = (u: User): UserView => ({
  id: u.id,
  email: u.email,
  name: u.name,
  emailVerifiedAt: u.emailVerifiedAt,
  createdAt: u.createdAt,
});

export const normalizeEmail = (email: string): string => email.trim().toLowerCase();

export async function findUser(knex: Knex, userId: string): Promise<User | undefined> {
  return User.query(knex).findById(userId);
}

/** Emails are unique regardless of case (see the users_email_lower_unique index). */
export async function findUserByEmail(db: Knex | Knex.Transaction, email: string): Promise<User | undefined> {
  return User.query(db)
    .whereRaw('lower(email) = ?', [normalizeEmail(email)])
    .first();
}
