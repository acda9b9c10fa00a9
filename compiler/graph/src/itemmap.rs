//! The graph's items: a vector sorted by id with a hashed index, instead of an ordered map
//! keyed by id strings. A large posture has 50,000 items; building the ordered map compared
//! id strings ~40 times per insert and moved whole items inside its nodes, while the items are
//! only ever iterated in id order or looked up by id. The collector pushes items in the order
//! it meets them and [`ItemMap::sort`] puts them in id order once.

use crate::fxhash::FxHashMap;
use crate::model::{Item, ItemId};

/// Every item of the graph, iterated in id order, looked up by id through a hash index.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ItemMap {
    /// The items, sorted by id once collected.
    items: Vec<Item>,
    /// Each id's position in `items`.
    index: FxHashMap<ItemId, usize>,
}

impl ItemMap {
    /// The item with this id.
    pub fn get(&self, id: &ItemId) -> Option<&Item> {
        self.index.get(id).map(|&i| &self.items[i])
    }

    /// The item with this id, and its id as the map holds it.
    pub fn get_key_value(&self, id: &ItemId) -> Option<(&ItemId, &Item)> {
        self.get(id).map(|i| (&i.id, i))
    }

    /// The position of the item with this id in [`ItemMap::values`].
    pub fn position(&self, id: &ItemId) -> Option<usize> {
        self.index.get(id).copied()
    }

    /// True when an item has this id.
    pub fn contains_key(&self, id: &ItemId) -> bool {
        self.index.contains_key(id)
    }

    /// Every item, in id order.
    pub fn values(&self) -> std::slice::Iter<'_, Item> {
        self.items.iter()
    }

    /// Every id, in order.
    pub fn keys(&self) -> impl Iterator<Item = &ItemId> {
        self.items.iter().map(|i| &i.id)
    }

    /// Every (id, item), in id order.
    pub fn iter(&self) -> impl Iterator<Item = (&ItemId, &Item)> {
        self.items.iter().map(|i| (&i.id, i))
    }

    /// The number of items.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// True when there is no item.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Adds an item whose id is new (the caller checked [`ItemMap::contains_key`]) and returns
    /// it. The order is restored by [`ItemMap::sort`].
    pub(crate) fn push(&mut self, item: Item) -> &mut Item {
        debug_assert!(!self.index.contains_key(&item.id));
        let at = self.items.len();
        self.index.insert(item.id.clone(), at);
        self.items.push(item);
        &mut self.items[at]
    }

    /// Every item, mutably (ids must not change).
    pub(crate) fn values_mut(&mut self) -> std::slice::IterMut<'_, Item> {
        self.items.iter_mut()
    }

    /// Puts the items in id order and renumbers the index.
    pub(crate) fn sort(&mut self) {
        if self.items.windows(2).all(|w| w[0].id < w[1].id) {
            return;
        }
        // The positions are sorted, not the items (large structs a sort would move many
        // times); each item is then moved once, into its place.
        let mut order: Vec<usize> = (0..self.items.len()).collect();
        order.sort_unstable_by(|&a, &b| self.items[a].id.cmp(&self.items[b].id));
        let mut slots: Vec<Option<Item>> = std::mem::take(&mut self.items)
            .into_iter()
            .map(Some)
            .collect();
        self.items = order.iter().filter_map(|&i| slots[i].take()).collect();
        for (i, item) in self.items.iter().enumerate() {
            if let Some(slot) = self.index.get_mut(&item.id) {
                *slot = i;
            }
        }
    }
}

impl<'a> IntoIterator for &'a ItemMap {
    type Item = (&'a ItemId, &'a Item);
    type IntoIter = std::iter::Map<std::slice::Iter<'a, Item>, fn(&'a Item) -> Self::Item>;

    fn into_iter(self) -> Self::IntoIter {
        self.items.iter().map(|i| (&i.id, i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Enforcement, ItemKind};

    fn item(block: ir::Block, name: &str) -> Item {
        Item {
            id: ItemId::new(block, name.to_string()),
            kind: ItemKind::Namespace,
            label: name.to_string(),
            location: None,
            span: None,
            bundle: None,
            doc: None,
            enforcement: Enforcement::Enforce,
            mappings: Default::default(),
            declaration: None,
            waives: Vec::new(),
            exception: None,
        }
    }

    #[test]
    fn sorted_once_and_found_by_id() {
        let mut m = ItemMap::default();
        for n in ["c", "a", "b"] {
            m.push(item(ir::Block::Namespace, n));
        }
        m.push(item(ir::Block::System, ""));
        m.sort();
        let ids: Vec<ItemId> = m.keys().cloned().collect();
        let mut sorted = ids.clone();
        sorted.sort();
        assert_eq!(ids, sorted);
        assert_eq!(m.len(), 4);
        for id in &ids {
            assert_eq!(&m.get(id).expect("found").id, id);
            assert_eq!(m.get_key_value(id).map(|(k, _)| k), Some(id));
        }
        assert!(!m.contains_key(&ItemId::new(ir::Block::Namespace, "d".to_string())));
        assert_eq!(m.values().count(), m.iter().count());
        for (p, item) in m.values().enumerate() {
            assert_eq!(m.position(&item.id), Some(p));
        }
    }
}
