// Package notesapi provides AuthenticatedNotesApi, an L3 construct for a notes API behind Cognito, created in one
// call with NewAuthenticatedNotesApi:
//
//   - a Cognito user pool (e-mail sign-in, a strong password policy, recovery by verified e-mail) and a public app
//     client (SRP and refresh tokens, token revocation, user-existence errors hidden, OAuth off unless asked for);
//   - an HTTP API whose every route sits behind a JWT authorizer bound to that pool and that client and requires
//     the scope aws.cognito.signin.user.admin, so only access tokens pass;
//   - a DynamoDB table keyed by the token's sub and a time-ordered note ID, so each user only reaches their notes;
//   - one Go Lambda function per route (POST, GET /notes, GET, PUT, DELETE /notes/{id}), built from this module's
//     lambda/ packages by the construct's own Go bundler (package gobuild), each with its own log group and a role
//     allowed only its route's DynamoDB actions;
//   - with its monitoring, backup, tracing and domain props, the alarms, dashboard, backup plan and custom domain an
//     operator needs.
//
// Every prop is optional and has a secure default (AuthenticatedNotesApiProps documents each); accessors such as
// UserPool, Table, HttpApi and Functions expose the parts, and AddRoute puts more routes behind the same authorizer.
// The repository's docs/construct.md lists every prop, default and accessor in one table.
//
// Misuse (invalid props, an invalid extra route) panics with an error that starts "notesapi:", the way every CDK
// construct reports it while the tree is built; call ValidateProps first to get the same error as a value.
package notesapi
