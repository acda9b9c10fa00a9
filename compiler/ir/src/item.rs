//! One identity for a posture item: [`ItemId`], a block and a name, written `block.name`
//! (`admission.require-labels`, `namespace.optimal-system`, `exception.legacy-batch`,
//! `network.allow portal -> api-gateway:8000`) or the block alone for blocks that are one item
//! (`mesh`, `system`). Exceptions waive items by it, targets name the items their artifacts
//! come from by it (the `posture.dev/source` annotation and the build manifest's `sources`),
//! and the control graph's item nodes are it.
//!
//! Ids sort as their text does: the blocks are declared in alphabetical order, and no block's
//! name is a prefix of another's.

use crate::Name;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// The block an item belongs to: the first segment of its id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Block {
    Admission,
    Audit,
    Controls,
    Exception,
    Identity,
    Ingress,
    Mesh,
    Namespace,
    Network,
    Runtime,
    Secrets,
    System,
    Target,
    Workload,
}

impl Block {
    /// Every block, in order.
    pub const ALL: [Block; 14] = [
        Block::Admission,
        Block::Audit,
        Block::Controls,
        Block::Exception,
        Block::Identity,
        Block::Ingress,
        Block::Mesh,
        Block::Namespace,
        Block::Network,
        Block::Runtime,
        Block::Secrets,
        Block::System,
        Block::Target,
        Block::Workload,
    ];

    /// The block as ids write it (the keyword of the posture block).
    pub fn as_str(self) -> &'static str {
        match self {
            Block::Admission => "admission",
            Block::Audit => "audit",
            Block::Controls => "controls",
            Block::Exception => "exception",
            Block::Identity => "identity",
            Block::Ingress => "ingress",
            Block::Mesh => "mesh",
            Block::Namespace => "namespace",
            Block::Network => "network",
            Block::Runtime => "runtime",
            Block::Secrets => "secrets",
            Block::System => "system",
            Block::Target => "target",
            Block::Workload => "workload",
        }
    }

    /// The block an id's first segment names.
    pub fn parse(text: &str) -> Option<Block> {
        Block::ALL.into_iter().find(|b| b.as_str() == text)
    }
}

impl fmt::Display for Block {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A posture item's identity: its block and its name within the block (empty for a block
/// that is one item).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ItemId {
    pub block: Block,
    /// The name within the block: a declared name (`require-labels`), a path of names
    /// (`corp.role.admin`), or a description for items declared without a name
    /// (`allow portal -> api-gateway:8000`).
    pub name: Name,
}

impl ItemId {
    pub fn new(block: Block, name: impl AsRef<str>) -> ItemId {
        ItemId {
            block,
            name: Name::new(name),
        }
    }

    /// The id of a block that is one item (`mesh`, `system`).
    pub fn block(block: Block) -> ItemId {
        ItemId::new(block, "")
    }

    /// `block.name`, or `block` alone; `None` when the first segment is no block.
    pub fn parse(text: &str) -> Option<ItemId> {
        match text.split_once('.') {
            Some((b, name)) => Some(ItemId::new(Block::parse(b)?, name)),
            None => Some(ItemId::block(Block::parse(text)?)),
        }
    }
}

impl fmt::Display for ItemId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.name.0.is_empty() {
            f.write_str(self.block.as_str())
        } else {
            write!(f, "{}.{}", self.block, self.name)
        }
    }
}

impl Serialize for ItemId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ItemId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<ItemId, D::Error> {
        let text = String::deserialize(d)?;
        ItemId::parse(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("`{text}` is not a posture item id")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_read_back_and_sort_as_their_text() {
        let texts = [
            "admission.require-labels",
            "admission.use std.pod_security.restricted",
            "audit",
            "audit.rule.secrets",
            "exception.legacy",
            "identity.corp.role.admin",
            "mesh",
            "namespace.apps",
            "network.allow portal -> api:8000",
            "network.default_deny apps",
            "system",
            "workload.api",
        ];
        let ids: Vec<ItemId> = texts
            .iter()
            .map(|t| ItemId::parse(t).expect("parses"))
            .collect();
        for (t, id) in texts.iter().zip(&ids) {
            assert_eq!(&id.to_string(), t);
        }
        let mut by_id = ids.clone();
        by_id.sort();
        let mut by_text: Vec<String> = texts.iter().map(|t| t.to_string()).collect();
        by_text.sort();
        let sorted: Vec<String> = by_id.iter().map(ToString::to_string).collect();
        assert_eq!(sorted, by_text);
        assert_eq!(ItemId::parse("nope.x"), None);
        // Block names are no prefix of one another, so the order by block is the text's.
        for a in Block::ALL {
            for b in Block::ALL {
                assert!(a == b || !b.as_str().starts_with(a.as_str()), "{a} {b}");
            }
            assert!(Block::ALL.windows(2).all(|w| w[0].as_str() < w[1].as_str()));
        }
    }
}
