//! The plain Aegis JSON export: a vault file Aegis imports with "Import from
//! file → Aegis". Its reader is `import::aegis`; both follow Aegis's vault
//! format version 1 with database version 3.

use serde_json::{Value, json};
use zeroize::Zeroizing;

use crate::account::{Account, AccountId, Kind};

/// A UUID-shaped string from 32 hex digits (random ones if the id is not hex).
fn uuid_from(id: &AccountId) -> String {
    let hex = id.as_str();
    let hex = if hex.len() == 32 && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        hex.to_ascii_lowercase()
    } else {
        AccountId::random().as_str().to_string()
    };
    let part = |a: usize, b: usize| hex.get(a..b).unwrap_or("0");
    format!(
        "{}-{}-{}-{}-{}",
        part(0, 8),
        part(8, 12),
        part(12, 16),
        part(16, 20),
        part(20, 32)
    )
}

/// A plain (unencrypted) Aegis vault export holding `accounts`, which Aegis
/// imports with "Import from file → Aegis". Tags become Aegis groups. The bytes
/// hold every secret in clear and are wiped when dropped.
pub fn to_plain_json(accounts: &[Account]) -> Zeroizing<Vec<u8>> {
    let mut group_ids: Vec<(String, String)> = Vec::new();
    let mut entries = Vec::with_capacity(accounts.len());
    for account in accounts {
        let mut groups = Vec::new();
        for tag in &account.tags {
            let uuid = match group_ids.iter().find(|(name, _)| name == tag) {
                Some((_, uuid)) => uuid.clone(),
                None => {
                    let uuid = uuid_from(&AccountId::random());
                    group_ids.push((tag.clone(), uuid.clone()));
                    uuid
                }
            };
            groups.push(Value::String(uuid));
        }
        let secret = account.secret.to_base32();
        let info = match account.kind {
            Kind::Totp { period } => json!({
                "secret": &*secret, "algo": account.algorithm.as_str(),
                "digits": account.digits, "period": period,
            }),
            Kind::Hotp { counter } => json!({
                "secret": &*secret, "algo": account.algorithm.as_str(),
                "digits": account.digits, "counter": counter,
            }),
            Kind::Steam => json!({
                "secret": &*secret, "algo": "SHA1", "digits": 5, "period": 30,
            }),
        };
        entries.push(json!({
            "type": account.kind.name(),
            "uuid": uuid_from(&account.id),
            "name": account.name,
            "issuer": account.issuer,
            "note": account.note,
            "favorite": account.favorite,
            "icon": null,
            "info": info,
            "groups": groups,
        }));
    }
    let groups: Vec<Value> = group_ids
        .into_iter()
        .map(|(name, uuid)| json!({ "uuid": uuid, "name": name }))
        .collect();
    let vault = json!({
        "version": 1,
        "header": { "slots": null, "params": null },
        "db": { "version": 3, "entries": entries, "groups": groups, "icons_optimized": true },
    });
    let mut out = Zeroizing::new(Vec::new());
    // Serialising a `Value` into a Vec cannot fail; an empty result would be caught on import.
    let _ = serde_json::to_writer_pretty(&mut *out, &vault);
    out.push(b'\n');
    out
}
