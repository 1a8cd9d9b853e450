//! Business Central users, from the automation API.
//!
//! The user's e-mail is `contactEmail` (the reference product's rule; BC fills it from the
//! Microsoft 365 `mail` property), trimmed and validated; status is `active` when `state` is
//! `Enabled`. Users are per environment but read per company, so they are de-duplicated by
//! `userSecurityId`. BC also lists non-human entries (Entra applications, Entra groups, agents):
//! they are recognised and kept apart (`kind`), and never flagged for a missing e-mail.
//!
//! The users API has `contactEmail` only from BC 25.0. An environment none of whose users has
//! the field gets one `USER_CONTACT_EMAIL_UNAVAILABLE` warning (upgrade, or map e-mails outside
//! BC) instead of a "fill in Contact Email" per user, which could not help there; its persons
//! are still each counted without an e-mail.

use crate::bc::records::RawUserFields;
use crate::diagnostics::Diagnostic;
use crate::diagnostics::DiagnosticCode;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum UserKind {
    Person,
    Application,
    Group,
    Agent,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum UserStatus {
    Active,
    Inactive,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub id: String,
    /// The validated contact e-mail, lower-cased; `null` when missing or invalid.
    pub email: Option<String>,
    pub status: UserStatus,
    pub display_name: Option<String>,
    pub user_name: Option<String>,
    pub kind: UserKind,
    /// Why `kind` is not `person`, when it is not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind_reason: Option<&'static str>,
    /// The contact e-mail as BC sent it, when it was present but not a valid address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invalid_email: Option<String>,
    /// Companies whose user list included this user.
    pub company_ids: Vec<String>,
}

/// What to do when the environment's users API has no `contactEmail` field at all: filling in
/// the field cannot help there, since the API would still not send it.
pub const UPGRADE_FOR_EMAIL_HINT: &str = "Business Central added `contactEmail` to the automation users API in version 25.0 (2024 release wave 2); before that the API gives no e-mail address at all (only userSecurityId, userName, displayName, state and expiryDate). Upgrade the environment to 25.0 or later and read the users again, or, until then, map these users to e-mail addresses outside Business Central (for example by user name in the Microsoft 365 admin center).";

pub const FIX_EMAIL_HINT: &str = "In Business Central, open Users, select the user and fill in Contact Email (or run 'Update users from Microsoft 365', which copies the Microsoft 365 mail address); bc-spend uses the contact e-mail as the user's e-mail.";

/// The advice for users without an e-mail that fits the environment: filling in Contact Email
/// only helps where the users API has the field (BC 25.0+).
pub fn email_hint(contact_email_field: bool) -> &'static str {
    if contact_email_field {
        FIX_EMAIL_HINT
    } else {
        UPGRADE_FOR_EMAIL_HINT
    }
}

/// A pragmatic address check: one `@`, a non-empty local part, a dotted domain of letters,
/// digits and hyphens, no spaces, at most 254 characters.
pub fn valid_email(s: &str) -> bool {
    if s.len() > 254 || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return false;
    }
    let Some((local, domain)) = s.rsplit_once('@') else {
        return false;
    };
    if local.is_empty()
        || local.len() > 64
        || local.contains('@')
        || local.starts_with('.')
        || local.ends_with('.')
        || local.contains("..")
    {
        return false;
    }
    let labels: Vec<&str> = domain.split('.').collect();
    labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        })
        && labels
            .last()
            .is_some_and(|tld| tld.len() >= 2 && !tld.chars().all(|c| c.is_ascii_digit()))
}

/// What kind of principal a BC user entry is. BC's `licenseType` decides when the endpoint
/// sends it (the newer `usersPermissions` page does); the standard automation `users` page does
/// not, so the names BC gives such entries decide: an Entra application registered on the
/// Microsoft Entra Applications page, an Entra security group, and BC's agents.
pub fn classify(u: &RawUserFields) -> (UserKind, Option<&'static str>) {
    if let Some(lt) = u.license_type.as_deref() {
        let lt = lt.to_ascii_lowercase();
        if lt.contains("application") {
            return (UserKind::Application, Some("licenseType is Application"));
        }
        if lt.contains("group") {
            return (UserKind::Group, Some("licenseType is a group"));
        }
        if lt.contains("agent") {
            return (UserKind::Agent, Some("licenseType is Agent"));
        }
        return (UserKind::Person, None);
    }
    let names = format!(
        " {} {} ",
        u.user_name.as_deref().unwrap_or("").to_ascii_lowercase(),
        u.display_name.as_deref().unwrap_or("").to_ascii_lowercase()
    );
    let has = |w: &str| names.contains(w);
    if has("aad group") || has("entra group") || has("security group") || has(" group ") {
        return (UserKind::Group, Some("name marks an Entra group"));
    }
    if has(" agent") {
        return (UserKind::Agent, Some("name marks an agent"));
    }
    if has("aad app")
        || has("entra app")
        || has(" application")
        || has("service principal")
        || has("(app)")
        || has(" app ")
        || has(" api ")
        || has("integration")
        || has("connector")
        || has("automation")
    {
        return (
            UserKind::Application,
            Some("name marks an application (service-to-service) user"),
        );
    }
    (UserKind::Person, None)
}

/// Whether the environment's users API has the `contactEmail` field: some record carries it.
/// Before BC 25.0 no record does; from 25.0 every one does, so a record without it beside
/// records with it is a record to fix, not an older version.
pub fn contact_email_field_exists<'a>(users: impl IntoIterator<Item = &'a RawUserFields>) -> bool {
    users.into_iter().any(|u| u.contact_email.is_some())
}

/// The one diagnostic for an environment whose users API has no `contactEmail` field (see
/// [`contact_email_field_exists`]), counting the `persons` it leaves without an e-mail. One per
/// environment, not one per user: the fix is the environment's, and thousands of identical
/// warnings would bury the others. Each user is still counted without an e-mail.
pub fn contact_email_unavailable(persons: usize) -> Diagnostic {
    Diagnostic::warning(
        DiagnosticCode::UserContactEmailUnavailable,
        format!("{persons} user(s) have no e-mail because this environment's users API has no `contactEmail` field. {UPGRADE_FOR_EMAIL_HINT}"),
    )
    .path("contactEmail")
}

/// Turns one BC user record into a [`User`], with a diagnostic when a person has no usable
/// contact e-mail. `contact_email_field` says whether the environment has the field at all; when
/// it does not, the environment gets one [`contact_email_unavailable`] instead.
pub fn build_user(
    u: &RawUserFields,
    company_id: &str,
    contact_email_field: bool,
    diags: &mut Vec<Diagnostic>,
) -> User {
    let (kind, kind_reason) = classify(u);
    let status = match u.state.as_deref() {
        Some(s) if s.eq_ignore_ascii_case("enabled") => UserStatus::Active,
        _ => UserStatus::Inactive,
    };
    let raw_email = u
        .contact_email
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let (email, invalid_email) = match raw_email {
        Some(e) if valid_email(e) => (Some(e.to_lowercase()), None),
        Some(e) => (None, Some(e.to_owned())),
        None => (None, None),
    };
    if kind == UserKind::Person && contact_email_field {
        let who = u
            .user_name
            .as_deref()
            .or(u.display_name.as_deref())
            .unwrap_or(&u.security_id);
        if let Some(bad) = &invalid_email {
            diags.push(
                Diagnostic::warning(DiagnosticCode::UserInvalidContactEmail, format!("User {who} has a contact e-mail that is not a valid address ({bad:?}). {FIX_EMAIL_HINT}"))
                    .path("contactEmail"),
            );
        } else if email.is_none() {
            diags.push(
                Diagnostic::warning(
                    DiagnosticCode::UserNoContactEmail,
                    format!("User {who} has no contact e-mail. {FIX_EMAIL_HINT}"),
                )
                .path("contactEmail"),
            );
        }
    }
    User {
        id: u.security_id.clone(),
        email,
        status,
        display_name: u.display_name.clone().filter(|s| !s.trim().is_empty()),
        user_name: u.user_name.clone().filter(|s| !s.trim().is_empty()),
        kind,
        kind_reason,
        invalid_email,
        company_ids: vec![company_id.to_owned()],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(name: &str, email: Option<&str>, state: &str) -> RawUserFields {
        RawUserFields {
            security_id: "u1".into(),
            user_name: Some(name.into()),
            display_name: Some(name.into()),
            state: Some(state.into()),
            contact_email: email.map(str::to_owned),
            license_type: None,
            authentication_email: None,
        }
    }

    #[test]
    fn emails() {
        assert!(valid_email("a.b@contoso.com"));
        assert!(valid_email("jörg@müller.de"));
        assert!(!valid_email("a b@contoso.com"));
        assert!(!valid_email("contoso.com"));
        assert!(!valid_email("a@b"));
        assert!(!valid_email("a@@b.com"));
        assert!(!valid_email("a@b.123"));
    }

    #[test]
    fn person_without_email_is_flagged_with_a_fix() {
        let mut d = vec![];
        let u = build_user(&raw("JSMITH", Some("  "), "Enabled"), "c", true, &mut d);
        assert_eq!(u.email, None);
        assert_eq!(u.status, UserStatus::Active);
        assert_eq!(d[0].code, DiagnosticCode::UserNoContactEmail);
        assert!(d[0].message.contains("Contact Email"));
        let u = build_user(
            &raw("ANNA", Some(" Anna@Contoso.com "), "Disabled"),
            "c",
            true,
            &mut d,
        );
        assert_eq!(u.email.as_deref(), Some("anna@contoso.com"));
        assert_eq!(u.status, UserStatus::Inactive);
        assert_eq!(d.len(), 1);
    }

    #[test]
    fn non_humans() {
        let mut d = vec![];
        let u = build_user(&raw("AAD App - Torii", None, "Enabled"), "c", true, &mut d);
        assert_eq!(u.kind, UserKind::Application);
        let u = build_user(
            &raw("AAD Group Finance", None, "Enabled"),
            "c",
            true,
            &mut d,
        );
        assert_eq!(u.kind, UserKind::Group);
        assert!(d.is_empty());
    }
}
