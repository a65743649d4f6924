//! Tag and enumeration names (being written).

use super::Tag;

pub fn tag_name(_tag: Tag) -> Option<&'static str> {
    None
}
