/**
 * Prints the comments migration for the schema module's current descriptions; imported by
 * nothing. Usage: `npx tsx app/analytics/docs/print-comments.ts > warehouse-sql/0NN_comments.sql`
 */
import { commentMigrationSql } from './comments';

process.stdout.write(commentMigrationSql());
