use super::*;

#[test]
fn paths_name_the_realm() {
    assert_eq!(
        path(&ir::Name::new("optimal")),
        "keycloak/optimal-realm.json"
    );
}
